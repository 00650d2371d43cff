package dev.sluice.scheduler.files;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * One invocation's {@code /tmp}: an in-memory file system of its own (Jimfs), empty when the invocation starts and
 * dropped, with every byte in it, when it ends ({@link #close}). No other invocation can reach it: it is a separate
 * {@link FileSystem} object, known only to the invocation's WASI functions.
 *
 * <p>Bytes are bounded by Jimfs itself, counted in whole blocks of {@value #BLOCK_SIZE} bytes as a disk counts them
 * (a 1-byte file takes a block; the bound is {@link ScratchLimits#bytes()} rounded down to whole blocks). Jimfs does
 * not count files and directories, so {@link #reserveInode}/{@link #releaseInode} do, driven by the WASI functions
 * that create and remove them. Confined to the invocation's thread.
 *
 * <p>Symbolic links cost an inode and a whole block each: Jimfs keeps a link's target outside its block store, so the
 * block is taken from an invisible file of this class's own ({@link #reserveLinkBlock}), an unlinked file held open,
 * which Jimfs counts against its bound like any other; a hard link costs nothing (it adds a name, not a file).
 *
 * <p>A writable asset mount ({@link AssetMount#writable()}) is a scratch file system {@link #seed seeded} with a copy
 * of the tree: the copy's blocks and its files and directories count against the bounds like any the guest makes.
 */
public final class Scratch implements Closeable {
    /** Jimfs's unit of allocation here: the page size of common disks, so small files cost what they do there. */
    public static final int BLOCK_SIZE = 4096;

    private final ScratchLimits limits;
    private final FileSystem fileSystem;
    private int inodes;
    /** Holds one block per symbolic link, created on the first link; unlinked at once, so the guest never sees it. */
    private FileChannel linkBlocks;
    private int links;

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

    /** Blocks of {@value #BLOCK_SIZE} bytes not yet allocated to any file. */
    public long freeBlocks() {
        try {
            return Files.getFileStore(root()).getUnallocatedSpace() / BLOCK_SIZE;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Files, directories and symbolic links counted now. */
    public int inodes() {
        return inodes;
    }

    /**
     * Takes a block of {@value #BLOCK_SIZE} bytes for a symbolic link (its target, at most 4096 bytes) from the same
     * bound as file data; false (nothing taken) when none is free.
     */
    public boolean reserveLinkBlock() {
        try {
            if (linkBlocks == null) {
                Path hidden = Files.createTempFile(root(), ".sluice-links-", "");
                linkBlocks = FileChannel.open(hidden, StandardOpenOption.READ, StandardOpenOption.WRITE);
                Files.delete(hidden);
            }
            // Jimfs fills a gap with zeros, block by block: one byte at the end of the next block takes it.
            linkBlocks.write(ByteBuffer.wrap(new byte[1]), (long) (links + 1) * BLOCK_SIZE - 1);
            links++;
            return true;
        } catch (IOException e) {
            return false; // Jimfs: out of disk space
        }
    }

    /** Gives a symbolic link's block back. */
    public void releaseLinkBlock() {
        if (links == 0) {
            return;
        }
        links--;
        try {
            if (links == 0) {
                // Jimfs keeps a file's first block when it is truncated to 0: closing the unlinked file frees it.
                linkBlocks.close();
                linkBlocks = null;
            } else {
                linkBlocks.truncate((long) links * BLOCK_SIZE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Symbolic links counted now (each holding a block). */
    public int links() {
        return links;
    }

    /**
     * The size of an asset tree as scratch space counts it: {@code blocks} of {@value #BLOCK_SIZE} bytes (each file
     * rounded up to whole blocks, a directory none), {@code entries} files and directories (the root not counted),
     * and {@code bytes}, the files' exact total.
     */
    public record Tree(long blocks, int entries, long bytes) {
        /** Walks {@code root} (a host directory of regular files and directories only, as the asset store keeps). */
        public static Tree measure(Path root) {
            long[] sums = new long[3];
            walk(root, (path, attributes) -> {
                sums[1]++;
                if (attributes.isRegularFile()) {
                    sums[0] += (attributes.size() + BLOCK_SIZE - 1) / BLOCK_SIZE;
                    sums[2] += attributes.size();
                }
            });
            return new Tree(sums[0], (int) Math.min(sums[1], Integer.MAX_VALUE), sums[2]);
        }

        /**
         * Why a scratch space of {@code limits} cannot hold this tree as a writable copy, if it cannot: the one rule
         * both the upload (422 {@code exceeds-scratch}) and the invocation (422 {@code assets-exceed-scratch}) apply.
         */
        public java.util.Optional<Shortfall> shortfall(ScratchLimits limits) {
            if (!limits.granted()) {
                return java.util.Optional.of(new Shortfall("scratch-bytes", "the assets are writable but the plan"
                        + " grants no scratch space (scratch-bytes: 0)"));
            }
            if (blocks > limits.bytes() / BLOCK_SIZE) {
                return java.util.Optional.of(new Shortfall("scratch-bytes", "the writable assets take "
                        + blocks * BLOCK_SIZE + " bytes in blocks of " + BLOCK_SIZE + " (expected: at most"
                        + " scratch-bytes, " + limits.bytes() + ", rounded down to whole blocks)"));
            }
            if (entries > limits.inodes()) {
                return java.util.Optional.of(new Shortfall("scratch-inodes", "the writable assets hold " + entries
                        + " files and directories (expected: at most scratch-inodes, " + limits.inodes() + ")"));
            }
            return java.util.Optional.empty();
        }
    }

    /** The bound a writable copy would pass ({@code scratch-bytes} or {@code scratch-inodes}) and by how much. */
    public record Shortfall(String bound, String detail) {}

    /**
     * Copies the host tree {@code root} into this (empty) scratch space, counting each file and directory it makes.
     * The caller checked {@link Tree#shortfall}: a tree that does not fit after all is the host's fault.
     *
     * @throws UncheckedIOException when the tree cannot be read or does not fit
     */
    public void seed(Path root) {
        Path target = root();
        walk(root, (path, attributes) -> {
            Path copy = target.resolve(root.relativize(path).toString());
            if (!reserveInode()) {
                throw new UncheckedIOException(new IOException("scratch: more entries than " + limits.inodes()));
            }
            try {
                if (attributes.isDirectory()) {
                    Files.createDirectory(copy);
                } else {
                    Files.copy(path, copy);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("seeding scratch from " + path, e);
            }
        });
    }

    private interface Visitor {
        void visit(Path path, BasicFileAttributes attributes);
    }

    /** Each entry under {@code root}, parents before children; a link or a device is refused (the store has none). */
    private static void walk(Path root, Visitor visitor) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                    if (!dir.equals(root)) {
                        visitor.visit(dir, attributes);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    if (!attributes.isRegularFile()) {
                        throw new IOException("assets: " + file + " is not a regular file or directory");
                    }
                    visitor.visit(file, attributes);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Drops the file system and everything in it. */
    @Override
    public void close() {
        try {
            if (linkBlocks != null) {
                linkBlocks.close();
            }
            fileSystem.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
