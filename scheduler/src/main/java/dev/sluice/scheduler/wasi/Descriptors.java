package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import dev.sluice.scheduler.files.Scratch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One invocation's trees and the descriptors Chicory opened under them, with the rights each still holds. Chicory's
 * descriptor table is private, so this follows it: it knows the preopened directories and learns every descriptor
 * {@code path_open} hands out, {@code fd_close} frees and {@code fd_renumber} moves, and so knows for each whether it
 * lies under {@code /assets} or in scratch, its host path, whether it appends, and the rights the guest left it
 * (Chicory checks none: docs/sandbox.md, "Rights a guest drops"). The standard streams are not here; they stay
 * Chicory's. One per worker thread, pointed at each file-using invocation in turn ({@link #begin}, {@link #end});
 * confined to that thread.
 */
final class Descriptors {
    /** {@code oflags::creat} and {@code oflags::trunc}. */
    static final int CREAT = 1;
    static final int TRUNC = 8;
    /** {@code fdflags::append}. */
    static final int FDFLAG_APPEND = 1;
    static final long RIGHT_FD_WRITE = 1L << 6;

    private static final long ALL_RIGHTS = -1L;
    private static final long RIGHT_FD_SEEK = 1L << 2;
    private static final long RIGHT_FD_TELL = 1L << 5;
    private static final long RIGHT_PATH_CREATE_FILE = 1L << 10;
    private static final long RIGHT_PATH_FILESTAT_SET_SIZE = 1L << 19;
    /**
     * The rights each function needs of its descriptor arguments, as pairs (argument index, rights), from the
     * preview 1 witx; {@code path_open} needs more by its flags, {@code fd_seek} less when it only tells.
     */
    private static final Map<String, long[]> NEEDS = Map.ofEntries(
            Map.entry("fd_datasync", new long[] {0, 1L}),
            Map.entry("fd_read", new long[] {0, 1L << 1}),
            Map.entry("fd_pread", new long[] {0, 1L << 1 | RIGHT_FD_SEEK}),
            Map.entry("fd_seek", new long[] {0, RIGHT_FD_SEEK}),
            Map.entry("fd_fdstat_set_flags", new long[] {0, 1L << 3}),
            Map.entry("fd_sync", new long[] {0, 1L << 4}),
            Map.entry("fd_tell", new long[] {0, RIGHT_FD_TELL}),
            Map.entry("fd_write", new long[] {0, RIGHT_FD_WRITE}),
            Map.entry("fd_pwrite", new long[] {0, RIGHT_FD_WRITE | RIGHT_FD_SEEK}),
            Map.entry("fd_advise", new long[] {0, 1L << 7}),
            Map.entry("fd_allocate", new long[] {0, 1L << 8}),
            Map.entry("path_create_directory", new long[] {0, 1L << 9}),
            Map.entry("path_link", new long[] {0, 1L << 11, 4, 1L << 12}),
            Map.entry("path_open", new long[] {0, 1L << 13}),
            Map.entry("fd_readdir", new long[] {0, 1L << 14}),
            Map.entry("path_readlink", new long[] {0, 1L << 15}),
            Map.entry("path_rename", new long[] {0, 1L << 16, 3, 1L << 17}),
            Map.entry("path_filestat_get", new long[] {0, 1L << 18}),
            Map.entry("path_filestat_set_times", new long[] {0, 1L << 20}),
            Map.entry("fd_filestat_get", new long[] {0, 1L << 21}),
            Map.entry("fd_filestat_set_size", new long[] {0, 1L << 22}),
            Map.entry("fd_filestat_set_times", new long[] {0, 1L << 23}),
            Map.entry("path_symlink", new long[] {2, 1L << 24}),
            Map.entry("path_remove_directory", new long[] {0, 1L << 25}),
            Map.entry("path_unlink_file", new long[] {0, 1L << 26}));

    /**
     * A descriptor Chicory opened under one of the trees; {@code base}/{@code inheriting}: the WASI rights it still
     * holds (all unless the guest dropped some, {@code fd_fdstat_set_rights}, or opened it from a directory that had).
     */
    record Open(boolean scratch, Path path, boolean append, long base, long inheriting) {
        Open(boolean scratch, Path path) {
            this(scratch, path, false, ALL_RIGHTS, ALL_RIGHTS);
        }
    }

    private final Map<Integer, Open> open = new HashMap<>();
    private Path assets; // the read-only assets' host directory, null when none
    private Path assetsRoot; // its real path, once a path call needed it
    private Scratch scratch; // null: no scratch space

    /**
     * The next invocation's descriptors from {@code firstFd} (3) on: the read-only assets directory first if any,
     * then the scratch space if any (a writable mount is a scratch space alone).
     *
     * @param assets  the read-only assets' host directory, or null
     * @param scratch the invocation's scratch space (its root preopened), or null
     */
    void begin(Path assets, Scratch scratch, int firstFd) {
        open.clear();
        this.scratch = scratch;
        this.assets = assets;
        this.assetsRoot = null;
        int fd = firstFd;
        if (assets != null) {
            open.put(fd++, new Open(false, assets));
        }
        if (scratch != null) {
            open.put(fd, new Open(true, scratch.root()));
        }
    }

    /** Forgets the invocation: nothing of its descriptors or trees stays. */
    void end() {
        open.clear();
        assets = null;
        assetsRoot = null;
        scratch = null;
    }

    /** The descriptor {@code fd} if it lies under one of the trees, else null (a standard stream, or none). */
    Open get(long fd) {
        return open.get((int) fd);
    }

    /**
     * The real path of the read-only assets, taken when a path call under them first needs it (many invocations
     * with files make none) and kept for the invocation. Asked for only through a descriptor under the assets.
     *
     * @throws java.io.UncheckedIOException when the directory cannot be resolved (the host's fault)
     */
    Path assetsRoot() {
        if (assetsRoot == null) {
            assetsRoot = GuestPaths.realPath(Objects.requireNonNull(assets, "assets"));
        }
        return assetsRoot;
    }

    /** The invocation's scratch space, null when it has none. */
    Scratch scratch() {
        return scratch;
    }

    /** The rights {@code function} needs of its descriptor arguments (see {@link #holds}), or null: none. */
    static long[] needs(String function) {
        return NEEDS.get(function);
    }

    /** Whether each descriptor argument holds the rights the call needs (a descriptor not of the trees: Chicory's). */
    boolean holds(String function, long[] needs, long[] args) {
        for (int i = 0; i < needs.length; i += 2) {
            Open fd = open.get((int) args[(int) needs[i]]);
            if (fd == null) {
                continue;
            }
            long need = needs[i + 1];
            if (function.equals("fd_seek") && args[1] == 0 && args[2] == 1) {
                need = RIGHT_FD_TELL; // SEEK_CUR by 0 only tells (wasi-libc's lseek(fd, 0, SEEK_CUR))
            } else if (function.equals("path_open")) {
                need |= ((args[4] & CREAT) != 0 ? RIGHT_PATH_CREATE_FILE : 0)
                        | ((args[4] & TRUNC) != 0 ? RIGHT_PATH_FILESTAT_SET_SIZE : 0);
            }
            if ((fd.base & need) != need) {
                return false;
            }
        }
        return true;
    }

    /**
     * A descriptor {@code path_open} handed out from {@code dir}: as WASI, it has at most the rights its directory
     * lets descriptors opened from it inherit.
     */
    void opened(int fd, Open dir, Path target, boolean append) {
        open.put(fd, new Open(dir.scratch, target, append, dir.inheriting, dir.inheriting));
    }

    /**
     * {@code fd_fdstat_set_rights(fd, base, inheriting)}: a descriptor of the trees may drop rights, never gain
     * them back ({@code ENOTCAPABLE}); from then on every call on it needing a dropped right is {@code ENOTCAPABLE}
     * and {@code fd_fdstat_get} no longer shows it. Chicory answers {@code ENOTSUP} for every descriptor.
     */
    long[] setRights(HostFunction chicory, Instance instance, long[] args) {
        Open fd = open.get((int) args[0]);
        if (fd == null) {
            return chicory.handle().apply(instance, args);
        }
        long base = args[1];
        long inheriting = args[2];
        if ((base & ~fd.base) != 0 || (inheriting & ~fd.inheriting) != 0) {
            return Errno.ENOTCAPABLE.result();
        }
        open.put((int) args[0], new Open(fd.scratch, fd.path, fd.append, base, inheriting));
        return Errno.SUCCESS.result();
    }

    /**
     * Chicory's answer, with {@code APPEND} among the flags of a scratch file that has it (Chicory does not know),
     * and the rights less those the descriptor dropped.
     */
    long[] fdstatGet(HostFunction chicory, Instance instance, long[] args) {
        long[] result = chicory.handle().apply(instance, args);
        Open file = open.get((int) args[0]);
        if (Errno.succeeded(result) && file != null) {
            // fdstat: filetype u8, flags u16 at 2, rights base u64 at 8, inheriting at 16 (the span is checked)
            int at = (int) GuestMemory.u32(args[1]);
            Memory memory = instance.memory();
            if (file.append) {
                memory.writeShort(at + 2, (short) (memory.readShort(at + 2) | FDFLAG_APPEND));
            }
            memory.writeLong(at + 8, memory.readLong(at + 8) & file.base);
            memory.writeLong(at + 16, memory.readLong(at + 16) & file.inheriting);
        }
        return result;
    }

    /**
     * {@code fd_fdstat_set_flags}: for a scratch file, {@code APPEND} switched here (Chicory cannot), the other flags
     * left to Chicory (which changes none: {@code ENOTSUP} unless they are as opened).
     */
    long[] fdstatSetFlags(HostFunction chicory, Instance instance, long[] args) {
        Open file = open.get((int) args[0]);
        if (file == null || !file.scratch || !Files.isRegularFile(file.path)) {
            return chicory.handle().apply(instance, args);
        }
        long[] result = chicory.handle().apply(instance, new long[] {args[0], args[1] & ~FDFLAG_APPEND});
        if (Errno.succeeded(result)) {
            open.put((int) args[0], new Open(true, file.path, (args[1] & FDFLAG_APPEND) != 0, file.base,
                    file.inheriting));
        }
        return result;
    }

    long[] close(HostFunction chicory, Instance instance, long[] args) {
        long[] result = chicory.handle().apply(instance, args);
        followClose(open, args, result);
        return result;
    }

    long[] renumber(HostFunction chicory, Instance instance, long[] args) {
        long[] result = chicory.handle().apply(instance, args);
        followRenumber(open, args, result);
        return result;
    }

    /**
     * Follows Chicory's {@code fd_close(fd)} (its arguments, its {@code result}) in a table kept beside Chicory's:
     * when it succeeded, {@code fd} is gone. Shared with {@link Stdio}, which follows the standard streams.
     */
    static <V> void followClose(Map<Integer, V> table, long[] args, long[] result) {
        if (Errno.succeeded(result)) {
            table.remove((int) args[0]);
        }
    }

    /**
     * Follows Chicory's {@code fd_renumber(from, to)} the same way: when it succeeded, {@code to} is closed (whatever
     * was there, even if what replaces it is not the table's) and {@code from}'s entry, if any, moves there.
     */
    static <V> void followRenumber(Map<Integer, V> table, long[] args, long[] result) {
        int from = (int) args[0];
        int to = (int) args[1];
        if (Errno.succeeded(result) && from != to) {
            table.remove(to);
            V moved = table.remove(from);
            if (moved != null) {
                table.put(to, moved);
            }
        }
    }
}
