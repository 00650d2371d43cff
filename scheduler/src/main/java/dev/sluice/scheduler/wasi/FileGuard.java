package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import dev.sluice.scheduler.files.Scratch;
import dev.sluice.scheduler.fuel.FuelCosts;
import dev.sluice.scheduler.fuel.FuelMeter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The rules Sluice adds to Chicory's file functions for one invocation that has files (docs/sandbox.md,
 * "Files"): {@code /assets} is read-only ({@code EROFS} for anything that would change it), {@code /tmp} is bounded
 * ({@code NOSPC} past its bytes or its files and directories), links cannot be made ({@code EPERM}), a path
 * component is at most {@value #NAME_MAX} bytes ({@code ENAMETOOLONG}), and every file call is charged fuel by the
 * bytes it offers or moves ({@link FuelCosts}).
 *
 * <p>Chicory's descriptor table is private, so this class follows it: it knows the preopened directories and
 * learns every descriptor {@code path_open} hands out, {@code fd_close} frees and {@code fd_renumber} moves, and so
 * knows for each descriptor whether it lies under {@code /assets} or {@code /tmp}, and its host path. Paths resolve
 * as Chicory resolves them (lexically: no links exist in either tree). A writable asset mount is a scratch space
 * (seeded with the tree) and is guarded as {@code /tmp} is. One per worker thread, pointed at each file-using
 * invocation in turn ({@link #begin}, {@link #end}); confined to that thread.
 */
final class FileGuard {
    /** Longest path component, as Linux's {@code NAME_MAX}. */
    static final int NAME_MAX = 255;
    /** Largest number of entries a directory can hold here (plan limits), so the most a readdir cookie can skip. */
    static final long MAX_ENTRIES = 100_002;

    private static final int CREAT = 1;
    private static final int TRUNC = 8;
    private static final long RIGHT_FD_WRITE = 1L << 6;
    private static final int FDFLAG_APPEND = 1;

    /** A descriptor Chicory opened under one of the trees. */
    private record Open(boolean scratch, Path path, boolean append) {
        Open(boolean scratch, Path path) {
            this(scratch, path, false);
        }
    }

    private final Map<Integer, Open> open = new HashMap<>();
    private final Supplier<FuelMeter> fuel;
    private boolean active;
    private Path assetsRoot; // the real path of the read-only assets, null when none
    private Scratch scratch; // null: no scratch space
    private HostFunction tell; // Chicory's fd_tell, to learn where a write to scratch would go

    FileGuard(Supplier<FuelMeter> fuel) {
        this.fuel = fuel;
    }

    /**
     * Guards the next invocation's descriptors from {@code firstFd} (3) on: the read-only assets directory first if
     * any, then the scratch space if any (a writable mount is a scratch space alone). Until then, and after
     * {@link #end}, the guarded functions are Chicory's, unchanged.
     *
     * @param assets  the read-only assets' host directory, or null
     * @param scratch the invocation's scratch space (its root preopened), or null
     */
    void begin(Path assets, Scratch scratch, int firstFd) {
        open.clear();
        this.scratch = scratch;
        this.assetsRoot = assets == null ? null : realPath(assets);
        int fd = firstFd;
        if (assets != null) {
            open.put(fd++, new Open(false, assets));
        }
        if (scratch != null) {
            open.put(fd, new Open(true, scratch.root()));
        }
        active = true;
    }

    /** Forgets the invocation: nothing of its descriptors or trees stays. */
    void end() {
        active = false;
        open.clear();
        assetsRoot = null;
        scratch = null;
    }

    /** {@code chicory} with the rules for its function; unchanged if it has none. */
    HostFunction guard(HostFunction chicory) {
        Handler handler = switch (chicory.name()) {
            case "path_open" -> this::pathOpen;
            case "path_create_directory" -> this::createDirectory;
            case "path_unlink_file", "path_remove_directory" -> this::remove;
            case "path_rename" -> this::rename;
            case "path_link" -> (c, i, a) -> links(i, a, (int) a[0], (int) a[4], 2, 3, 5, 6);
            case "path_symlink" -> (c, i, a) -> links(i, a, (int) a[2], (int) a[2], 0, 1, 3, 4);
            case "path_filestat_set_times" -> (c, i, a) -> pathOp(c, i, a, true, 2, 3);
            case "path_filestat_get" -> (c, i, a) -> pathOp(c, i, a, false, 2, 3);
            case "path_readlink" -> (c, i, a) -> pathOp(c, i, a, false, 1, 2);
            case "fd_read" -> (c, i, a) -> data(c, i, a, false);
            case "fd_write" -> (c, i, a) -> data(c, i, a, true);
            case "fd_pread" -> (c, i, a) -> positioned(c, i, a, false);
            case "fd_pwrite" -> (c, i, a) -> positioned(c, i, a, true);
            case "fd_allocate" -> (c, i, a) -> resize(c, i, a, GuestMemory.sat(a[1], a[2]));
            case "fd_filestat_set_size" -> (c, i, a) -> resize(c, i, a, a[1]);
            case "fd_filestat_set_times" -> this::fdSetTimes;
            case "fd_readdir" -> this::readdir;
            case "fd_close" -> this::close;
            case "fd_renumber" -> this::renumber;
            case "fd_tell" -> {
                tell = chicory;
                yield null;
            }
            default -> null;
        };
        if (handler == null) {
            return chicory;
        }
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) ->
                active ? handler.apply(chicory, instance, args) : chicory.handle().apply(instance, args));
    }

    @FunctionalInterface
    private interface Handler {
        long[] apply(HostFunction chicory, Instance instance, long[] args);
    }

    // --- paths -------------------------------------------------------------------------------------------------

    private long[] pathOpen(HostFunction chicory, Instance instance, long[] args) {
        charge(FuelCosts.FILE_PATH_OP);
        Open dir = open.get((int) args[0]);
        String raw = path(instance, args, 2, 3);
        if (raw == null) {
            return Errno.ENAMETOOLONG.result();
        }
        int openFlags = (int) args[4];
        boolean writes = (openFlags & (CREAT | TRUNC)) != 0 || (args[5] & RIGHT_FD_WRITE) != 0
                || ((int) args[7] & FDFLAG_APPEND) != 0;
        if (dir != null && !dir.scratch && writes) {
            return Errno.EROFS.result();
        }
        Path target = dir == null ? null : resolve(dir.path, raw);
        if (dir != null && !dir.scratch && leavesAssets(target)) {
            return Errno.EPERM.result();
        }
        boolean creates = dir != null && dir.scratch && target != null && (openFlags & CREAT) != 0
                && !Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        if (creates && !scratch.reserveInode()) {
            return Errno.NOSPC.result();
        }
        long[] result = chicory.handle().apply(instance, args);
        if (creates && !(succeeded(result) || Files.exists(target, LinkOption.NOFOLLOW_LINKS))) {
            scratch.releaseInode();
        }
        if (succeeded(result) && dir != null && target != null) {
            int fd = instance.memory().readInt((int) GuestMemory.u32(args[8]));
            open.put(fd, new Open(dir.scratch, target, ((int) args[7] & FDFLAG_APPEND) != 0));
        }
        return result;
    }

    private long[] createDirectory(HostFunction chicory, Instance instance, long[] args) {
        charge(FuelCosts.FILE_PATH_OP);
        Open dir = open.get((int) args[0]);
        String raw = path(instance, args, 1, 2);
        if (raw == null) {
            return Errno.ENAMETOOLONG.result();
        }
        if (dir == null) {
            return chicory.handle().apply(instance, args);
        }
        if (!dir.scratch) {
            return Errno.EROFS.result();
        }
        Path target = resolve(dir.path, raw);
        boolean creates = target != null && !Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        if (creates && !scratch.reserveInode()) {
            return Errno.NOSPC.result();
        }
        long[] result = chicory.handle().apply(instance, args);
        if (creates && !succeeded(result)) {
            scratch.releaseInode();
        }
        return result;
    }

    private long[] remove(HostFunction chicory, Instance instance, long[] args) {
        charge(FuelCosts.FILE_PATH_OP);
        Open dir = open.get((int) args[0]);
        if (path(instance, args, 1, 2) == null) {
            return Errno.ENAMETOOLONG.result();
        }
        if (dir != null && !dir.scratch) {
            return Errno.EROFS.result();
        }
        long[] result = chicory.handle().apply(instance, args);
        if (dir != null && succeeded(result)) {
            scratch.releaseInode();
        }
        return result;
    }

    private long[] rename(HostFunction chicory, Instance instance, long[] args) {
        charge(FuelCosts.FILE_PATH_OP);
        Open from = open.get((int) args[0]);
        Open to = open.get((int) args[3]);
        String fromRaw = path(instance, args, 1, 2);
        String toRaw = path(instance, args, 4, 5);
        if (fromRaw == null || toRaw == null) {
            return Errno.ENAMETOOLONG.result();
        }
        if ((from != null && !from.scratch) || (to != null && !to.scratch)) {
            return Errno.EROFS.result();
        }
        if (from == null || to == null) {
            return chicory.handle().apply(instance, args); // Chicory's EBADF or ENOTDIR
        }
        Path source = resolve(from.path, fromRaw);
        Path target = resolve(to.path, toRaw);
        if (source != null && target != null && !target.equals(source) && target.startsWith(source)
                && Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            return Errno.EINVAL.result(); // a directory into itself: Linux's rename(2) answer (Jimfs's was EIO)
        }
        boolean replaces = source != null && target != null && !source.equals(target)
                && Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        long[] result = chicory.handle().apply(instance, args);
        if (replaces && succeeded(result)) {
            scratch.releaseInode();
        }
        return result;
    }

    /** Neither tree holds links, so none can be made: {@code EROFS} under {@code /assets}, else {@code EPERM}. */
    private long[] links(Instance instance, long[] args, int fromFd, int toFd, int p1, int l1, int p2, int l2) {
        charge(FuelCosts.FILE_PATH_OP);
        if (path(instance, args, p1, l1) == null || path(instance, args, p2, l2) == null) {
            return Errno.ENAMETOOLONG.result();
        }
        Open from = open.get(fromFd);
        Open to = open.get(toFd);
        if ((from != null && !from.scratch) || (to != null && !to.scratch)) {
            return Errno.EROFS.result();
        }
        return Errno.EPERM.result();
    }

    private long[] pathOp(HostFunction chicory, Instance instance, long[] args, boolean changes, int p, int l) {
        charge(FuelCosts.FILE_PATH_OP);
        if (path(instance, args, p, l) == null) {
            return Errno.ENAMETOOLONG.result();
        }
        Open dir = open.get((int) args[0]);
        if (changes && dir != null && !dir.scratch) {
            return Errno.EROFS.result();
        }
        if (dir != null && !dir.scratch && leavesAssets(resolve(dir.path, path(instance, args, p, l)))) {
            return Errno.EPERM.result();
        }
        return chicory.handle().apply(instance, args);
    }

    // --- descriptors ---------------------------------------------------------------------------------------------

    /**
     * {@code fd_read}/{@code fd_write} of a descriptor that is not a standard stream ({@link Stdio} passes those
     * here, iovecs already checked). Chicory allocates each iovec's length before reading, so the call costs every
     * byte offered: the meter charges those moved, this the rest.
     */
    private long[] data(HostFunction chicory, Instance instance, long[] args, boolean write) {
        Open file = open.get((int) args[0]);
        if (write && file != null && !file.scratch) {
            return Errno.EROFS.result();
        }
        long offered = Math.max(0, offered(instance.memory(), args[1], args[2])); // Stdio checked each iovec
        long before = write && file != null ? size(file) : 0;
        long[] result = write && file != null ? scratchWrite(chicory, instance, args, file)
                : chicory.handle().apply(instance, args);
        long moved = succeeded(result) ? GuestMemory.u32(instance.memory().readInt((int) GuestMemory.u32(args[3]))) : 0;
        charge(Math.max(0, offered - moved) * FuelCosts.HOST_PER_BYTE);
        return afterWrite(write, file, before, result);
    }

    /**
     * A write to a scratch file: Chicory's, iovec by iovec, each only as far as the scratch space has room, so that,
     * as {@code write(2)}, a write that fills the space answers the bytes it wrote and only one that can write none
     * is {@code NOSPC} (Jimfs allocates a write's blocks all at once or not at all: unhelped, 6 KiB offered to 4 KiB
     * of room would write nothing; and Chicory answers an error for a later iovec though earlier ones were written).
     * A position past what scratch can hold (a seek may put it there) writes nothing: {@code NOSPC} before Jimfs,
     * whose block arithmetic is 32-bit beyond the bound. Jimfs stays the judge of the bound: room is only estimated
     * here (from the file's path, which a rename may have made stale).
     */
    private long[] scratchWrite(HostFunction chicory, Instance instance, long[] args, Open file) {
        Memory memory = instance.memory();
        long fd = args[0];
        int iovs = (int) GuestMemory.u32(args[1]);
        long count = Math.min(GuestMemory.u32(args[2]), Stdio.IOV_MAX); // Stdio refused more
        long nwritten = args[3];
        long total = 0;
        long[] failure = null;
        for (int i = 0; i < count; i++) {
            int iov = iovs + 8 * i;
            long base = GuestMemory.u32(memory.readInt(iov));
            long length = GuestMemory.u32(memory.readInt(iov + 4));
            if (length == 0) {
                continue;
            }
            long position = file.append ? size(file) : tell(instance, fd, iov);
            long fit = position < 0 ? length : fit(file, position, length);
            // Shortening the iovec in place is invisible to the guest (it waits for this call), unless the iovec
            // lies inside the bytes being written: then no partial write.
            if (fit == 0 || (fit < length && iov < base + fit && base < iov + 8)) {
                failure = Errno.NOSPC.result();
                break;
            }
            long[] result;
            memory.writeI32(iov + 4, (int) fit);
            try {
                result = chicory.handle().apply(instance, new long[] {fd, iov, 1, nwritten});
            } finally {
                memory.writeI32(iov + 4, (int) length);
            }
            if (!succeeded(result)) {
                failure = result;
                break;
            }
            long written = GuestMemory.u32(memory.readInt((int) GuestMemory.u32(nwritten)));
            total += written;
            if (written < length) {
                break;
            }
        }
        if (total == 0 && failure != null) {
            return failure;
        }
        memory.writeI32((int) GuestMemory.u32(nwritten), (int) total);
        return Errno.SUCCESS.result();
    }

    /**
     * The descriptor's position, by Chicory's {@code fd_tell}, which writes it to guest memory: into the iovec's own
     * 8 bytes (in memory, already read), put back at once. -1 if it cannot tell.
     */
    private long tell(Instance instance, long fd, int at) {
        Memory memory = instance.memory();
        long saved = memory.readLong(at);
        try {
            return tell != null && succeeded(tell.handle().apply(instance, new long[] {fd, at}))
                    ? memory.readLong(at) : -1;
        } finally {
            memory.writeLong(at, saved);
        }
    }

    /** How many of {@code length} bytes written at {@code position} scratch can hold (block-wise, as Jimfs). */
    private long fit(Open file, long position, long length) {
        long limit = scratch.limits().bytes() / Scratch.BLOCK_SIZE * Scratch.BLOCK_SIZE;
        if (position >= limit) {
            return 0;
        }
        long end = Math.min(position + length, limit); // both terms far below 2^63
        long size = size(file);
        if (end <= size) {
            return end - position; // overwrites only: no block needed
        }
        long room = ((size + Scratch.BLOCK_SIZE - 1) / Scratch.BLOCK_SIZE + scratch.freeBlocks()) * Scratch.BLOCK_SIZE;
        return Math.max(0, Math.min(end, room) - position);
    }

    private long[] positioned(HostFunction chicory, Instance instance, long[] args, boolean write) {
        Open file = open.get((int) args[0]);
        if (write && file != null && !file.scratch) {
            return Errno.EROFS.result();
        }
        if (GuestMemory.u32(args[2]) > Stdio.IOV_MAX) {
            return Errno.EINVAL.result();
        }
        long offered = offered(instance.memory(), args[1], args[2]);
        if (offered < 0) {
            return Errno.EFAULT.result(); // Chicory would allocate an iovec's length before looking at it
        }
        charge(offered * FuelCosts.HOST_PER_BYTE);
        if (args[3] > Long.MAX_VALUE - offered) {
            return Errno.EINVAL.result(); // the end would pass the largest offset: Linux's pread/pwrite say EINVAL
        }
        if (write && file != null && args[3] >= 0 && GuestMemory.sat(args[3], offered) > scratch.limits().bytes()) {
            return Errno.NOSPC.result(); // beyond what /tmp can hold; Jimfs's block arithmetic is 32-bit past it
        }
        long before = write && file != null ? size(file) : 0;
        return afterWrite(write, file, before, chicory.handle().apply(instance, args));
    }

    private long[] resize(HostFunction chicory, Instance instance, long[] args, long newSize) {
        Open file = open.get((int) args[0]);
        if (file == null) {
            return chicory.handle().apply(instance, args);
        }
        if (!file.scratch) {
            return Errno.EROFS.result();
        }
        if (newSize > scratch.limits().bytes()) {
            return Errno.NOSPC.result();
        }
        long before = size(file);
        return afterWrite(true, file, before, chicory.handle().apply(instance, args));
    }

    /** A write under /tmp: Jimfs's only I/O failure there is running out of blocks; growth costs its bytes. */
    private long[] afterWrite(boolean write, Open file, long before, long[] result) {
        if (!write || file == null || !file.scratch) {
            return result;
        }
        charge(Math.max(0, size(file) - before) * FuelCosts.HOST_PER_BYTE);
        if (result != null && result.length > 0 && result[0] == Errno.EIO.value()) {
            return Errno.NOSPC.result();
        }
        return result;
    }

    private long[] fdSetTimes(HostFunction chicory, Instance instance, long[] args) {
        Open file = open.get((int) args[0]);
        return file != null && !file.scratch ? Errno.EROFS.result() : chicory.handle().apply(instance, args);
    }

    /**
     * Costs the buffer offered and each entry a cookie makes Chicory skip (it lists them again every call); under
     * /tmp also each file and directory there, since Jimfs copies and sorts a directory's names for every listing.
     */
    private long[] readdir(HostFunction chicory, Instance instance, long[] args) {
        long skipped = args[3] < 0 ? 0 : Math.min(args[3], MAX_ENTRIES);
        Open dir = open.get((int) args[0]);
        long listed = dir != null && dir.scratch ? scratch.inodes() : 0;
        charge(GuestMemory.u32(args[2]) * FuelCosts.HOST_PER_BYTE + (skipped + listed) * FuelCosts.FILE_PER_ENTRY);
        return chicory.handle().apply(instance, args);
    }

    private long[] close(HostFunction chicory, Instance instance, long[] args) {
        long[] result = chicory.handle().apply(instance, args);
        if (succeeded(result)) {
            open.remove((int) args[0]);
        }
        return result;
    }

    private long[] renumber(HostFunction chicory, Instance instance, long[] args) {
        long[] result = chicory.handle().apply(instance, args);
        int from = (int) args[0];
        int to = (int) args[1];
        if (succeeded(result) && from != to) {
            open.remove(to);
            Open moved = open.remove(from);
            if (moved != null) {
                open.put(to, moved);
            }
        }
        return result;
    }

    // --- helpers -------------------------------------------------------------------------------------------------

    private void charge(long units) {
        if (units > 0) {
            fuel.get().charge(units);
        }
    }

    /** The path argument (its span already checked by {@link PointerChecks}), or null when a component is too long. */
    private static String path(Instance instance, long[] args, int pointer, int length) {
        byte[] bytes = instance.memory().readBytes((int) GuestMemory.u32(args[pointer]),
                (int) GuestMemory.u32(args[length]));
        int run = 0;
        for (byte b : bytes) {
            run = b == '/' ? 0 : run + 1;
            if (run > NAME_MAX) {
                return null;
            }
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * Whether the path, links followed, lies outside {@code /assets}. The upload refuses links, so none should
     * exist; this holds even if one did (a bug of the store, a hand-edited data directory), since Chicory follows
     * links, and the host file system follows a link met mid-path, wherever it points.
     */
    private boolean leavesAssets(Path target) {
        if (target == null || assetsRoot == null) {
            return false; // Chicory refuses a path it cannot resolve
        }
        try {
            return !target.toRealPath().startsWith(assetsRoot);
        } catch (java.nio.file.NoSuchFileException e) {
            return false; // nothing there: Chicory answers ENOENT (a dangling link too: nothing is read)
        } catch (IOException | SecurityException e) {
            return true;
        }
    }

    private static Path realPath(Path directory) {
        try {
            return directory.toRealPath();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("assets: " + directory, e);
        }
    }

    /** As Chicory resolves a guest path against a directory: null when it is absolute or leaves the directory. */
    private static Path resolve(Path directory, String raw) {
        Path path;
        try {
            path = directory.getFileSystem().getPath(raw);
        } catch (InvalidPathException e) {
            return null;
        }
        if (path.isAbsolute()) {
            return null;
        }
        String normalized = path.normalize().toString();
        if (normalized.equals("..") || normalized.startsWith("../")) {
            return null;
        }
        return directory.resolve(normalized);
    }

    /**
     * Bytes the iovecs offer, or -1 when one lies outside memory (the array itself was checked by {@link Stdio} or
     * {@link PointerChecks}, and holds at most {@link Stdio#IOV_MAX}).
     */
    private static long offered(Memory memory, long iovsArg, long countArg) {
        int iovs = (int) GuestMemory.u32(iovsArg);
        long count = Math.min(GuestMemory.u32(countArg), Stdio.IOV_MAX);
        long total = 0;
        for (int i = 0; i < count; i++) {
            long at = GuestMemory.u32(memory.readInt(iovs + 8 * i));
            long length = GuestMemory.u32(memory.readInt(iovs + 8 * i + 4));
            if (!GuestMemory.fits(memory, at, length)) {
                return -1;
            }
            total += length;
        }
        return total;
    }

    private static long size(Open file) {
        try {
            return Files.size(file.path);
        } catch (IOException | RuntimeException e) {
            return 0; // renamed or removed since it was opened: its growth is not seen
        }
    }

    private static boolean succeeded(long[] result) {
        return result != null && result.length > 0 && result[0] == 0;
    }
}
