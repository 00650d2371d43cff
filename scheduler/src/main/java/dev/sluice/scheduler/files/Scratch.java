package dev.sluice.scheduler.files;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;

/**
 * One invocation's {@code /tmp}: an in-memory file system of its own (Jimfs), empty when the invocation starts and
 * dropped, with every byte in it, when it ends ({@link #close}). No other invocation can reach it: it is a separate
 * {@link FileSystem} object, known only to the invocation's WASI functions.
 *
 * <p>Bytes are bounded by Jimfs itself, counted in whole blocks of {@value #BLOCK_SIZE} bytes as a disk counts them
 * (a 1-byte file takes a block; the bound is {@link ScratchLimits#bytes()} rounded down to whole blocks). Jimfs does
 * not count files and directories, so {@link #reserveInode}/{@link #releaseInode} do, driven by the WASI functions
 * that create and remove them. Confined to the invocation's thread.
 */
public final class Scratch implements Closeable {
    /** Jimfs's unit of allocation here: the page size of common disks, so small files cost what they do there. */
    public static final int BLOCK_SIZE = 4096;

    private final ScratchLimits limits;
    private final FileSystem fileSystem;
    private int inodes;

    private Scratch(ScratchLimits limits, FileSystem fileSystem) {
        this.limits = limits;
        this.fileSystem = fileSystem;
    }

    /** A fresh, empty scratch file system bounded by {@code limits}; @throws IllegalArgumentException when none */
    public static Scratch open(ScratchLimits limits) {
        if (!limits.granted()) {
            throw new IllegalArgumentException("scratch: " + limits + " (expected: bytes > 0)");
        }
        Configuration config = Configuration.unix().toBuilder()
                .setBlockSize(BLOCK_SIZE)
                .setMaxSize(limits.bytes())
                // Freed blocks go back to the garbage collector rather than stay cached for this short life.
                .setMaxCacheSize(0)
                // Jimfs's Unix default makes and starts in /work, which the guest would find in its empty /tmp.
                .setWorkingDirectory("/")
                .setAttributeViews("basic", "owner", "posix", "unix")
                .build();
        return new Scratch(limits, Jimfs.newFileSystem(config));
    }

    /** The directory the guest sees as {@code /tmp}. */
    public Path root() {
        return fileSystem.getPath("/");
    }

    public ScratchLimits limits() {
        return limits;
    }

    /** Counts one more file or directory; false (nothing counted) when the limit is reached. */
    public boolean reserveInode() {
        if (inodes >= limits.inodes()) {
            return false;
        }
        inodes++;
        return true;
    }

    /** One file or directory fewer. */
    public void releaseInode() {
        if (inodes > 0) {
            inodes--;
        }
    }

    /** Files and directories counted now. */
    public int inodes() {
        return inodes;
    }

    /** Drops the file system and everything in it. */
    @Override
    public void close() {
        try {
            fileSystem.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
