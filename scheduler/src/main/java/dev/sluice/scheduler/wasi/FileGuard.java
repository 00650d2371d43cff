package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import dev.sluice.scheduler.files.Scratch;
import dev.sluice.scheduler.fuel.FuelCosts;
import dev.sluice.scheduler.fuel.FuelMeter;
import dev.sluice.scheduler.wasi.Descriptors.Open;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.stream.Stream;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The rules Sluice adds to Chicory's file functions for one invocation that has files (docs/sandbox.md,
 * "Files"): {@code /assets} is read-only ({@code EROFS} for anything that would change it), {@code /tmp} is bounded
 * ({@code NOSPC} past its bytes or its files, directories and symbolic links), links are made only inside scratch
 * (a symbolic link costs an inode and a block, a hard link neither; lookups follow at most
 * {@value GuestPaths#MAX_SYMLINKS}), a path component is at most {@value GuestPaths#NAME_MAX} bytes
 * ({@code ENAMETOOLONG}), {@code O_APPEND} in scratch is done here (Chicory's cannot truncate, read or be switched),
 * rights a guest drops from a descriptor are kept and checked ({@link Descriptors}; Chicory checks none), and every
 * file call is charged fuel by the bytes it offers or moves ({@link FuelCosts}).
 *
 * <p>{@link #guard} maps each WASI function to its rules; {@link Descriptors} follows Chicory's descriptor table
 * (which tree each descriptor lies under, its rights), {@link GuestPaths} decides where a path leads. Paths resolve as
 * Chicory resolves them (lexically; under {@code /assets} the real path is checked too, no link being expected
 * there; in scratch, links lead only within the call's own Jimfs, whose root is the preopen's). A writable asset
 * mount is a scratch space (seeded with the tree) and is guarded as {@code /tmp} is. One per worker thread, pointed
 * at each file-using invocation in turn ({@link #begin}, {@link #end}); confined to that thread.
 */
final class FileGuard {
    /** Largest number of entries a directory can hold here (plan limits), so the most a readdir cookie can skip. */
    static final long MAX_ENTRIES = 100_002;

    /** Longest symbolic link target, as Linux's {@code PATH_MAX} (also {@link PointerChecks}' bound for a path). */
    static final int MAX_LINK_TARGET = PointerChecks.PATH_MAX;
    /**
     * Most names in the place a symbolic link stores (its target resolved against the directory, from the preopen's
     * root): a lookup may expand {@value GuestPaths#MAX_SYMLINKS} links, each walking its target, so this bounds the
     * work.
     */
    static final int MAX_LINK_DEPTH = 128;
    private static final int FST_ATIM = 1;
    private static final int FST_ATIM_NOW = 2;
    private static final int FST_MTIM = 4;
    private static final int FST_MTIM_NOW = 8;

    private final Descriptors descriptors = new Descriptors();
    private final Supplier<FuelMeter> fuel;
    private final Clock clock;
    private boolean active;
    /** Names in the deepest target a symbolic link of this call stored (what a lookup may walk per link). */
    private int deepestLink;
    private HostFunction tell; // Chicory's fd_tell, to learn where a write to scratch would go
    private HostFunction seek; // Chicory's fd_seek, to move an O_APPEND file's position to its end before a write

    FileGuard(Supplier<FuelMeter> fuel, Clock clock) {
        this.fuel = fuel;
        this.clock = clock;
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
        descriptors.begin(assets, scratch, firstFd);
        deepestLink = 0;
        active = true;
    }

    /** Forgets the invocation: nothing of its descriptors or trees stays. */
    void end() {
        active = false;
        descriptors.end();
    }

    /** {@code chicory} with the rules for its function; unchanged if it has none. */
    HostFunction guard(HostFunction chicory) {
        Handler handler = switch (chicory.name()) {
            case "path_open" -> this::pathOpen;
            case "path_create_directory" -> this::createDirectory;
            case "path_unlink_file", "path_remove_directory" -> this::remove;
            case "path_rename" -> this::rename;
            case "path_link" -> this::link;
            case "path_symlink" -> this::symlink;
            case "path_filestat_set_times" -> this::pathSetTimes;
            case "path_filestat_get" -> (c, i, a) -> pathOp(c, i, a, false, true, 2, 3);
            case "path_readlink" -> this::readlink;
            case "fd_read" -> (c, i, a) -> data(c, i, a, false);
            case "fd_write" -> (c, i, a) -> data(c, i, a, true);
            case "fd_pread" -> (c, i, a) -> positioned(c, i, a, false);
            case "fd_pwrite" -> (c, i, a) -> positioned(c, i, a, true);
            case "fd_allocate" -> (c, i, a) -> resize(c, i, a, GuestMemory.sat(a[1], a[2]));
            case "fd_filestat_set_size" -> (c, i, a) -> resize(c, i, a, a[1]);
            case "fd_filestat_set_times" -> this::fdSetTimes;
            case "fd_readdir" -> this::readdir;
            case "fd_close" -> descriptors::close;
            case "fd_renumber" -> descriptors::renumber;
            case "fd_tell" -> {
                tell = chicory;
                yield null;
            }
            case "fd_seek" -> {
                seek = chicory;
                yield null;
            }
            case "fd_fdstat_get" -> descriptors::fdstatGet;
            case "fd_fdstat_set_flags" -> descriptors::fdstatSetFlags;
            case "fd_fdstat_set_rights" -> descriptors::setRights;
            default -> null;
        };
        long[] needs = Descriptors.needs(chicory.name());
        if (handler == null && needs == null) {
            return chicory;
        }
        Handler rules = handler != null ? handler : (c, i, a) -> c.handle().apply(i, a);
        boolean walks = chicory.name().startsWith("path_");
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            if (!active) {
                return chicory.handle().apply(instance, args);
            }
            if (needs != null && !descriptors.holds(chicory.name(), needs, args)) {
                return Errno.ENOTCAPABLE.result();
            }
            if (walks && scratch() != null && scratch().links() > 0) {
                // Each lookup (FileGuard's, Chicory's) may expand up to 40 links, each a walk of its target's names.
                charge((long) GuestPaths.MAX_SYMLINKS * deepestLink * FuelCosts.FILE_PER_ENTRY);
            }
            return rules.apply(chicory, instance, args);
        });
    }

    @FunctionalInterface
    private interface Handler {
        long[] apply(HostFunction chicory, Instance instance, long[] args);
    }

    // --- paths -------------------------------------------------------------------------------------------------

    private long[] pathOpen(HostFunction chicory, Instance instance, long[] args) {
        charge(FuelCosts.FILE_PATH_OP);
        Open dir = descriptors.get(args[0]);
        String raw = GuestPaths.path(instance, args, 2, 3);
        if (raw == null) {
            return Errno.ENAMETOOLONG.result();
        }
        int openFlags = (int) args[4];
        boolean writes = (openFlags & (Descriptors.CREAT | Descriptors.TRUNC)) != 0
                || (args[5] & Descriptors.RIGHT_FD_WRITE) != 0 || ((int) args[7] & Descriptors.FDFLAG_APPEND) != 0;
        if (dir != null && !dir.scratch() && writes) {
            return Errno.EROFS.result();
        }
        Path target = dir == null ? null : GuestPaths.resolve(dir.path(), raw);
        if (dir != null && !dir.scratch() && GuestPaths.leavesAssets(descriptors.assetsRoot(), target)) {
            return Errno.EPERM.result();
        }
        if (dir != null && dir.scratch() && target != null) {
            target = GuestPaths.lookup(target, (args[1] & GuestPaths.LOOKUP_FOLLOW) != 0);
            if (target == null) {
                return Errno.ELOOP.result();
            }
        }
        boolean creates = dir != null && dir.scratch() && target != null && (openFlags & Descriptors.CREAT) != 0
                && !Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        if (creates && !scratch().reserveInode()) {
            return Errno.NOSPC.result();
        }
        boolean append = ((int) args[7] & Descriptors.FDFLAG_APPEND) != 0;
        long[] given = args;
        if (append && dir != null && dir.scratch() && target != null) {
            // Chicory opens O_APPEND as Java's APPEND, which drops READ and cannot be had with TRUNCATE_EXISTING
            // (Chicory: ENOTSUP), nor turned off later. So a scratch file is opened as a plain writable one and
            // every write goes to the end first (scratchWrite), as O_APPEND does; fd_fdstat_* show and switch it.
            given = args.clone();
            given[7] = args[7] & ~Descriptors.FDFLAG_APPEND;
            if (!Files.isDirectory(target)) {
                given[5] = args[5] | Descriptors.RIGHT_FD_WRITE; // APPEND alone meant writing, to Java as to POSIX
            }
        }
        long[] result = chicory.handle().apply(instance, given);
        if (creates && !(Errno.succeeded(result) || Files.exists(target, LinkOption.NOFOLLOW_LINKS))) {
            scratch().releaseInode();
        }
        if (Errno.succeeded(result) && dir != null && target != null) {
            int fd = instance.memory().readInt((int) GuestMemory.u32(args[8]));
            descriptors.opened(fd, dir, target, append);
        }
        return result;
    }

    private long[] createDirectory(HostFunction chicory, Instance instance, long[] args) {
        charge(FuelCosts.FILE_PATH_OP);
        Open dir = descriptors.get(args[0]);
        String raw = GuestPaths.path(instance, args, 1, 2);
        if (raw == null) {
            return Errno.ENAMETOOLONG.result();
        }
        if (dir == null) {
            return chicory.handle().apply(instance, args);
        }
        if (!dir.scratch()) {
            return Errno.EROFS.result();
        }
        Path target = GuestPaths.resolve(dir.path(), raw);
        boolean creates = target != null && !Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        if (creates && !scratch().reserveInode()) {
            return Errno.NOSPC.result();
        }
        long[] result = chicory.handle().apply(instance, args);
        if (creates && !Errno.succeeded(result)) {
            scratch().releaseInode();
        }
        return result;
    }

    private long[] remove(HostFunction chicory, Instance instance, long[] args) {
        charge(FuelCosts.FILE_PATH_OP);
        Open dir = descriptors.get(args[0]);
        if (GuestPaths.path(instance, args, 1, 2) == null) {
            return Errno.ENAMETOOLONG.result();
        }
        if (dir != null && !dir.scratch()) {
            return Errno.EROFS.result();
        }
        Path target = dir == null ? null : GuestPaths.resolve(dir.path(), GuestPaths.path(instance, args, 1, 2));
        Entry gone = target == null ? Entry.NONE : Entry.of(target);
        long[] result = chicory.handle().apply(instance, args);
        if (dir != null && Errno.succeeded(result)) {
            release(gone);
        }
        return result;
    }

    /** What a name in scratch is, links not followed, as far as the bounds count it. */
    private enum Entry {
        NONE, DIRECTORY, FILE, LINKED_FILE, SYMLINK;

        static Entry of(Path path) {
            try {
                BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isSymbolicLink()) {
                    return SYMLINK;
                }
                if (a.isDirectory()) {
                    return DIRECTORY;
                }
                Object links = Files.getAttribute(path, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
                return links instanceof Number n && n.longValue() > 1 ? LINKED_FILE : FILE;
            } catch (IOException | RuntimeException e) {
                return NONE;
            }
        }
    }

    /** A name removed (or replaced by a rename): its inode and a link's block freed, unless another name holds it. */
    private void release(Entry gone) {
        switch (gone) {
            case DIRECTORY, FILE -> scratch().releaseInode();
            case SYMLINK -> {
                scratch().releaseInode();
                scratch().releaseLinkBlock();
            }
            case LINKED_FILE, NONE -> { }
        }
    }

    private long[] rename(HostFunction chicory, Instance instance, long[] args) {
        charge(FuelCosts.FILE_PATH_OP);
        Open from = descriptors.get(args[0]);
        Open to = descriptors.get(args[3]);
        String fromRaw = GuestPaths.path(instance, args, 1, 2);
        String toRaw = GuestPaths.path(instance, args, 4, 5);
        if (fromRaw == null || toRaw == null) {
            return Errno.ENAMETOOLONG.result();
        }
        if ((from != null && !from.scratch()) || (to != null && !to.scratch())) {
            return Errno.EROFS.result();
        }
        if (from == null || to == null) {
            return chicory.handle().apply(instance, args); // Chicory's EBADF or ENOTDIR
        }
        Path source = GuestPaths.resolve(from.path(), fromRaw);
        Path target = GuestPaths.resolve(to.path(), toRaw);
        if (source != null && target != null && !target.equals(source) && target.startsWith(source)
                && Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            return Errno.EINVAL.result(); // a directory into itself: Linux's rename(2) answer (Jimfs's was EIO)
        }
        Entry replaced = source != null && target != null && !source.equals(target)
                && !GuestPaths.sameFile(source, target) ? Entry.of(target) : Entry.NONE;
        long[] result = chicory.handle().apply(instance, args);
        if (Errno.succeeded(result)) {
            release(replaced);
        }
        return result;
    }

    /**
     * {@code path_link(old_fd, old_flags, old_path, new_fd, new_path)}: under {@code /assets} {@code EROFS}; from
     * {@code /assets} into scratch {@code EXDEV} (as Linux across mounts); within scratch, a second name for a file
     * (no inode, no block), {@code EPERM} for a directory (as Linux). Jimfs links regular files only, so a link to
     * a symbolic link is a copy of it (a link of its own: an inode and a block). Done here rather than by Chicory,
     * which answers {@code EIO} for an existing dangling link as the new name and {@code EACCES} for a directory.
     */
    private long[] link(HostFunction chicory, Instance instance, long[] args) {
        charge(FuelCosts.FILE_PATH_OP);
        String oldRaw = GuestPaths.path(instance, args, 2, 3);
        String newRaw = GuestPaths.path(instance, args, 5, 6);
        if (oldRaw == null || newRaw == null) {
            return Errno.ENAMETOOLONG.result();
        }
        Open from = descriptors.get(args[0]);
        Open to = descriptors.get(args[4]);
        if (to != null && !to.scratch()) {
            return Errno.EROFS.result();
        }
        if (from == null || to == null) {
            return chicory.handle().apply(instance, args); // not a directory of this call's: EBADF or ENOTDIR
        }
        if (!from.scratch()) {
            return Errno.EXDEV.result();
        }
        if (!Files.isDirectory(from.path()) || !Files.isDirectory(to.path())) {
            return Errno.ENOTDIR.result();
        }
        Path source = GuestPaths.resolve(from.path(), oldRaw);
        Path target = GuestPaths.resolve(to.path(), newRaw);
        if (source == null || target == null) {
            return Errno.EACCES.result(); // Chicory's answer to a path leaving its directory
        }
        if (newRaw.endsWith("/")) {
            return Errno.ENOENT.result();
        }
        source = GuestPaths.lookup(source, (args[1] & GuestPaths.LOOKUP_FOLLOW) != 0);
        if (source == null || GuestPaths.lookup(target, false) == null) {
            return Errno.ELOOP.result();
        }
        Entry existing = Entry.of(source);
        if (existing == Entry.NONE) {
            return Errno.ENOENT.result();
        }
        if (existing == Entry.DIRECTORY) {
            return Errno.EPERM.result();
        }
        if (Entry.of(target) != Entry.NONE) {
            return Errno.EEXIST.result();
        }
        try {
            if (existing == Entry.SYMLINK) {
                return makeSymlink(target, Files.readSymbolicLink(source));
            }
            Files.createLink(target, source);
            return Errno.SUCCESS.result();
        } catch (FileAlreadyExistsException e) {
            return Errno.EEXIST.result();
        } catch (NoSuchFileException e) {
            return Errno.ENOENT.result();
        } catch (IOException e) {
            return Errno.EIO.result();
        }
    }

    /**
     * {@code path_symlink(old_path, fd, new_path)}: under {@code /assets} {@code EROFS}; in scratch Chicory's (it
     * resolves the target against the directory and refuses one that is absolute or leaves it, {@code EACCES}, so a
     * link only ever names a place inside the preopen; it stores that place as an absolute path of the call's own
     * Jimfs, whose root is the preopen's root), counted: an inode and a block ({@code NOSPC} when either bound is
     * reached), a target of at most {@value #MAX_LINK_TARGET} bytes ({@code ENAMETOOLONG}, checked before).
     */
    private long[] symlink(HostFunction chicory, Instance instance, long[] args) {
        charge(FuelCosts.FILE_PATH_OP);
        String targetRaw = GuestPaths.path(instance, args, 0, 1);
        String newRaw = GuestPaths.path(instance, args, 3, 4);
        if (targetRaw == null || newRaw == null || targetRaw.length() > MAX_LINK_TARGET) {
            return Errno.ENAMETOOLONG.result();
        }
        Open dir = descriptors.get(args[2]);
        if (dir == null) {
            return chicory.handle().apply(instance, args); // not a directory of this call's: EBADF or ENOTDIR
        }
        if (!dir.scratch()) {
            return Errno.EROFS.result();
        }
        if (targetRaw.isEmpty()) {
            return Errno.ENOENT.result(); // as Linux; Chicory would link to the directory itself
        }
        Path name = GuestPaths.resolve(dir.path(), newRaw);
        if (name == null) {
            return chicory.handle().apply(instance, args); // EACCES
        }
        if (GuestPaths.lookup(name, false) == null) {
            return Errno.ELOOP.result();
        }
        Path stored = GuestPaths.resolve(dir.path(), targetRaw); // what Chicory will store (null: it refuses, EACCES)
        if (stored != null && stored.getNameCount() > MAX_LINK_DEPTH) {
            return Errno.ENAMETOOLONG.result();
        }
        Entry existing = Entry.of(name);
        if (newRaw.endsWith("/")) {
            // Linux: a new name ending in '/' names a directory; none there (or a dangling link): ENOENT.
            return existing == Entry.NONE ? Errno.ENOENT.result() : Errno.EEXIST.result();
        }
        if (existing != Entry.NONE) {
            return Errno.EEXIST.result(); // also a dangling link, which Chicory's exists() follows (then EIO)
        }
        if (!scratch().reserveInode()) {
            return Errno.NOSPC.result();
        }
        if (!scratch().reserveLinkBlock()) {
            scratch().releaseInode();
            return Errno.NOSPC.result();
        }
        long[] result = chicory.handle().apply(instance, args);
        if (!Errno.succeeded(result)) {
            scratch().releaseLinkBlock();
            scratch().releaseInode();
        } else if (stored != null) {
            deepestLink = Math.max(deepestLink, stored.getNameCount());
        }
        return result;
    }

    /** A symbolic link at {@code name} to {@code target} (one already stored by Chicory), counted as Chicory's are. */
    private long[] makeSymlink(Path name, Path target) throws IOException {
        if (!scratch().reserveInode()) {
            return Errno.NOSPC.result();
        }
        if (!scratch().reserveLinkBlock()) {
            scratch().releaseInode();
            return Errno.NOSPC.result();
        }
        try {
            Files.createSymbolicLink(name, target);
            deepestLink = Math.max(deepestLink, target.getNameCount());
        } catch (IOException | RuntimeException e) {
            scratch().releaseLinkBlock();
            scratch().releaseInode();
            throw e;
        }
        return Errno.SUCCESS.result();
    }

    private long[] pathOp(HostFunction chicory, Instance instance, long[] args, boolean changes, boolean lookupFlags,
                          int p, int l) {
        charge(FuelCosts.FILE_PATH_OP);
        String raw = GuestPaths.path(instance, args, p, l);
        if (raw == null) {
            return Errno.ENAMETOOLONG.result();
        }
        Open dir = descriptors.get(args[0]);
        if (changes && dir != null && !dir.scratch()) {
            return Errno.EROFS.result();
        }
        Path target = dir == null ? null : GuestPaths.resolve(dir.path(), raw);
        if (dir != null && !dir.scratch() && GuestPaths.leavesAssets(descriptors.assetsRoot(), target)) {
            return Errno.EPERM.result();
        }
        if (dir != null && dir.scratch() && target != null
                && GuestPaths.lookup(target, lookupFlags && (args[1] & GuestPaths.LOOKUP_FOLLOW) != 0) == null) {
            return Errno.ELOOP.result(); // before Chicory, whose own walk of a chain is unbounded
        }
        return chicory.handle().apply(instance, args);
    }

    /**
     * {@code path_readlink(fd, path, buf, buf_len, &used)}: in scratch, the place the link names, relative to the
     * link's own directory as POSIX reads a link ({@code d/g} for a link {@code -> d/g} at the preopen's root,
     * {@code ../g} for one in another directory of the root), cut to the buffer; Chicory answers only its last name
     * ({@code g}), wherever it is. The buffer's span was checked ({@link PointerChecks}); nothing is allocated from its length.
     */
    private long[] readlink(HostFunction chicory, Instance instance, long[] args) {
        long[] checked = pathOp(passing(chicory), instance, args, false, false, 1, 2);
        if (checked != null) {
            return checked; // refused
        }
        Open dir = descriptors.get(args[0]);
        Path link = dir == null || !dir.scratch() ? null : GuestPaths.resolve(dir.path(), GuestPaths.path(instance, args, 1, 2));
        if (link == null || !Files.isSymbolicLink(link)) {
            return chicory.handle().apply(instance, args); // its errnos (EINVAL for no link, ENOENT, ...)
        }
        Path target;
        try {
            target = Files.readSymbolicLink(link);
        } catch (IOException e) {
            return Errno.EIO.result();
        }
        // Chicory's stored target may hold "." names ("/./d/g": a directory opened as "." stays "/."): normalized,
        // as it was built lexically from the directory's path.
        String text = target.isAbsolute() ? directoryOf(link).relativize(target.normalize()).toString()
                : target.toString();
        byte[] bytes = (text.isEmpty() ? "." : text).getBytes(StandardCharsets.UTF_8);
        int used = (int) Math.min(bytes.length, GuestMemory.u32(args[4]));
        instance.memory().write((int) GuestMemory.u32(args[3]), bytes, 0, used);
        instance.memory().writeI32((int) GuestMemory.u32(args[5]), used);
        return Errno.SUCCESS.result();
    }

    /** The directory a scratch name is in, links in its path followed (where Jimfs puts it). */
    private static Path directoryOf(Path name) {
        Path parent = name.getParent() != null ? name.getParent() : name.getRoot();
        try {
            return parent.toRealPath();
        } catch (IOException e) {
            return parent;
        }
    }

    /** A stand-in for Chicory's function that answers null: "not refused" to a caller of {@link #pathOp}. */
    private static HostFunction passing(HostFunction chicory) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (i, a) -> null);
    }

    /**
     * {@code path_filestat_set_times}: under {@code /assets} {@code EROFS}; in scratch Chicory's, except that it sets
     * a link's own times unless told to follow it (Chicory always follows; Linux's {@code utimensat} does not).
     */
    private long[] pathSetTimes(HostFunction chicory, Instance instance, long[] args) {
        long[] checked = pathOp(passing(chicory), instance, args, true, true, 2, 3);
        if (checked != null) {
            return checked; // refused
        }
        Open dir = descriptors.get(args[0]);
        Path target = dir == null ? null : GuestPaths.resolve(dir.path(), GuestPaths.path(instance, args, 2, 3));
        if (target == null || (args[1] & GuestPaths.LOOKUP_FOLLOW) != 0 || !Files.isSymbolicLink(target)) {
            return chicory.handle().apply(instance, args);
        }
        int flags = (int) args[6]; // (fd, lookup flags, path, path length, atim, mtim, fst flags)
        if (((flags & FST_ATIM) != 0 && (flags & FST_ATIM_NOW) != 0)
                || ((flags & FST_MTIM) != 0 && (flags & FST_MTIM_NOW) != 0)) {
            return Errno.EINVAL.result();
        }
        try {
            Files.getFileAttributeView(target, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(time(args[5], flags, FST_MTIM, FST_MTIM_NOW),
                            time(args[4], flags, FST_ATIM, FST_ATIM_NOW), null);
        } catch (IOException e) {
            return Errno.EIO.result();
        }
        return Errno.SUCCESS.result();
    }

    private FileTime time(long nanos, int flags, int set, int now) {
        if ((flags & set) != 0) {
            return FileTime.from(nanos, TimeUnit.NANOSECONDS);
        }
        return (flags & now) != 0 ? FileTime.from(clock.instant()) : null;
    }

    // --- descriptors ---------------------------------------------------------------------------------------------

    /**
     * {@code fd_read}/{@code fd_write} of a descriptor that is not a standard stream ({@link Stdio} passes those
     * here, iovecs already checked). Chicory allocates each iovec's length before reading, so the call costs every
     * byte offered: the meter charges those moved, this the rest.
     */
    private long[] data(HostFunction chicory, Instance instance, long[] args, boolean write) {
        Open file = descriptors.get(args[0]);
        if (write && file != null && !file.scratch()) {
            return Errno.EROFS.result();
        }
        long offered = Math.max(0, offered(instance.memory(), args[1], args[2])); // Stdio checked each iovec
        long before = write && file != null ? size(file) : 0;
        long[] result = write && file != null ? scratchWrite(chicory, instance, args, file)
                : chicory.handle().apply(instance, args);
        long moved = Errno.succeeded(result) ? GuestMemory.u32(instance.memory().readInt((int) GuestMemory.u32(args[3]))) : 0;
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
            long position = file.append() ? seekEnd(instance, fd, iov) : tell(instance, fd, iov);
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
            if (!Errno.succeeded(result)) {
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
            return tell != null && Errno.succeeded(tell.handle().apply(instance, new long[] {fd, at}))
                    ? memory.readLong(at) : -1;
        } finally {
            memory.writeLong(at, saved);
        }
    }

    /** Moves the descriptor to its end with Chicory's {@code fd_seek}, as {@link #tell} uses memory; -1 if it fails. */
    private long seekEnd(Instance instance, long fd, int at) {
        Memory memory = instance.memory();
        long saved = memory.readLong(at);
        try {
            return seek != null && Errno.succeeded(seek.handle().apply(instance, new long[] {fd, 0, 2, at}))
                    ? memory.readLong(at) : -1;
        } finally {
            memory.writeLong(at, saved);
        }
    }

    /** How many of {@code length} bytes written at {@code position} scratch can hold (block-wise, as Jimfs). */
    private long fit(Open file, long position, long length) {
        long limit = scratch().limits().bytes() / Scratch.BLOCK_SIZE * Scratch.BLOCK_SIZE;
        if (position >= limit) {
            return 0;
        }
        long end = Math.min(position + length, limit); // both terms far below 2^63
        long size = size(file);
        if (end <= size) {
            return end - position; // overwrites only: no block needed
        }
        long room = ((size + Scratch.BLOCK_SIZE - 1) / Scratch.BLOCK_SIZE + scratch().freeBlocks()) * Scratch.BLOCK_SIZE;
        return Math.max(0, Math.min(end, room) - position);
    }

    private long[] positioned(HostFunction chicory, Instance instance, long[] args, boolean write) {
        Open file = descriptors.get(args[0]);
        if (write && file != null && !file.scratch()) {
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
        if (write && file != null && args[3] >= 0 && GuestMemory.sat(args[3], offered) > scratch().limits().bytes()) {
            return Errno.NOSPC.result(); // beyond what /tmp can hold; Jimfs's block arithmetic is 32-bit past it
        }
        long before = write && file != null ? size(file) : 0;
        return afterWrite(write, file, before, chicory.handle().apply(instance, args));
    }

    private long[] resize(HostFunction chicory, Instance instance, long[] args, long newSize) {
        Open file = descriptors.get(args[0]);
        if (file == null) {
            return chicory.handle().apply(instance, args);
        }
        if (!file.scratch()) {
            return Errno.EROFS.result();
        }
        if (newSize > scratch().limits().bytes()) {
            return Errno.NOSPC.result();
        }
        long before = size(file);
        return afterWrite(true, file, before, chicory.handle().apply(instance, args));
    }

    /** A write under /tmp: Jimfs's only I/O failure there is running out of blocks; growth costs its bytes. */
    private long[] afterWrite(boolean write, Open file, long before, long[] result) {
        if (!write || file == null || !file.scratch()) {
            return result;
        }
        charge(Math.max(0, size(file) - before) * FuelCosts.HOST_PER_BYTE);
        if (result != null && result.length > 0 && result[0] == Errno.EIO.value()) {
            return Errno.NOSPC.result();
        }
        return result;
    }

    private long[] fdSetTimes(HostFunction chicory, Instance instance, long[] args) {
        Open file = descriptors.get(args[0]);
        return file != null && !file.scratch() ? Errno.EROFS.result() : chicory.handle().apply(instance, args);
    }

    /**
     * Costs the buffer offered and each entry a cookie makes Chicory skip (it lists them again every call); under
     * /tmp also each file and directory there, since Jimfs copies and sorts a directory's names for every listing.
     */
    private long[] readdir(HostFunction chicory, Instance instance, long[] args) {
        long skipped = args[3] < 0 ? 0 : Math.min(args[3], MAX_ENTRIES);
        Open dir = descriptors.get(args[0]);
        long listed = dir != null && dir.scratch() ? scratch().inodes() : 0;
        charge(GuestMemory.u32(args[2]) * FuelCosts.HOST_PER_BYTE + (skipped + listed) * FuelCosts.FILE_PER_ENTRY);
        if (dir != null && dir.scratch() && args[3] >= 0 && scratch().links() > 0
                && Files.isDirectory(dir.path(), LinkOption.NOFOLLOW_LINKS)) {
            return listWithLinks(instance, args, dir.path());
        }
        return chicory.handle().apply(instance, args);
    }

    /**
     * Chicory's {@code fd_readdir}, entry for entry, but with each entry's attributes read without following it:
     * Chicory's follow links, so a dangling one vanished from the listing, a loop made the whole listing {@code EIO}
     * and a link was typed as what it names (Linux: {@code DT_LNK}). Only while scratch holds links; the buffer
     * span was checked ({@link PointerChecks}), the cookie is not negative.
     */
    private static long[] listWithLinks(Instance instance, long[] args, Path directory) {
        Memory memory = instance.memory();
        int buf = (int) GuestMemory.u32(args[1]);
        int bufLen = (int) GuestMemory.u32(args[2]);
        long cookie = args[3];
        int used = 0;
        try (Stream<Path> names = Files.list(directory)) {
            Iterator<Path> entries = Stream.concat(Stream.of(directory.resolve("."), directory.resolve("..")), names)
                    .skip(cookie).iterator();
            while (entries.hasNext() && used < bufLen) {
                Path entry = entries.next();
                byte[] name = entry.getFileName().toString().getBytes(StandardCharsets.UTF_8);
                cookie++;
                Map<String, Object> attributes;
                try {
                    attributes = Files.readAttributes(entry, "unix:*", LinkOption.NOFOLLOW_LINKS);
                } catch (java.nio.file.NoSuchFileException e) {
                    continue;
                }
                ByteBuffer dirent = ByteBuffer.allocate(24 + name.length).order(ByteOrder.LITTLE_ENDIAN);
                dirent.putLong(0, cookie);
                dirent.putLong(8, ((Number) attributes.get("ino")).longValue());
                dirent.putInt(16, name.length);
                dirent.put(20, fileType(attributes));
                dirent.position(24);
                dirent.put(name);
                int size = Math.min(dirent.capacity(), bufLen - used);
                memory.write(buf + used, dirent.array(), 0, size);
                used += size;
            }
        } catch (IOException e) {
            return Errno.EIO.result();
        }
        memory.writeI32((int) GuestMemory.u32(args[4]), used);
        return Errno.SUCCESS.result();
    }

    /** WASI's filetype: 3 directory, 4 regular file, 7 symbolic link, 0 unknown (Chicory's numbering). */
    private static byte fileType(Map<String, Object> attributes) {
        if (Boolean.TRUE.equals(attributes.get("isSymbolicLink"))) {
            return 7;
        }
        if (Boolean.TRUE.equals(attributes.get("isDirectory"))) {
            return 3;
        }
        return Boolean.TRUE.equals(attributes.get("isRegularFile")) ? (byte) 4 : 0;
    }

    // --- helpers -------------------------------------------------------------------------------------------------

    private Scratch scratch() {
        return descriptors.scratch();
    }

    private void charge(long units) {
        if (units > 0) {
            fuel.get().charge(units);
        }
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
            return Files.size(file.path());
        } catch (IOException | RuntimeException e) {
            return 0; // renamed or removed since it was opened: its growth is not seen
        }
    }
}
