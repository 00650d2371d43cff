package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import dev.sluice.scheduler.files.Scratch;
import dev.sluice.scheduler.files.ScratchLimits;
import dev.sluice.scheduler.fuel.FuelCosts;
import dev.sluice.scheduler.fuel.FuelMeter;
import dev.sluice.scheduler.wasi.Descriptors.Open;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The rules Sluice adds to Chicory's file functions for one invocation that has files (docs/sandbox.md,
 * "Files"): {@code /assets} is read-only ({@code EROFS} for anything that would change it), {@code /tmp} is bounded
 * ({@code NOSPC} past its bytes or its files, directories and symbolic links), links are made only inside scratch
 * (a symbolic link costs an inode and a block, a hard link neither; lookups follow at most
 * {@value GuestPaths#MAX_SYMLINKS}), a path component is at most {@value GuestPaths#NAME_MAX} bytes
 * ({@code ENAMETOOLONG}), {@code O_APPEND} in scratch is emulated (Chicory's cannot truncate, read or be switched),
 * rights a guest drops from a descriptor are kept and checked ({@link Descriptors}; Chicory checks none), and every
 * file call is charged fuel by the bytes it offers or moves ({@link FuelCosts}).
 *
 * <p>{@link #guard} maps each WASI function to its rules, and is where a call is refused before Chicory runs
 * ({@code EROFS}, {@code ENOTCAPABLE}, escapes, {@code ELOOP}) and where path calls are charged. The rest it hands to
 * focused types sharing one {@link Descriptors} (which tree each descriptor lies under, its rights):
 * {@link GuestPaths} decides where a path leads, {@link ScratchLinks} makes, reads and counts links,
 * {@link FileData} moves bytes (short writes, {@code O_APPEND}) and {@link ScratchListing} lists a directory holding
 * links. Paths resolve as Chicory resolves them (lexically; under {@code /assets} the real path is checked too, no
 * link being expected there; in scratch, links lead only within the call's own Jimfs, whose root is the preopen's).
 * A writable asset mount is a scratch space (seeded with the tree) and is guarded as {@code /tmp} is. One per worker
 * thread, built with its helpers once ({@link WasiHost}), pointed at each file-using invocation in turn
 * ({@link #begin}, {@link #end}); confined to that thread.
 */
final class FileGuard {
    /**
     * Largest number of entries a directory can hold here (plan limits: its inodes, then "." and "..", which Chicory
     * lists first), so the most a readdir cookie can skip.
     */
    static final long MAX_ENTRIES = ScratchLimits.MAX_INODES + 2;

    private static final int FST_ATIM = 1;
    private static final int FST_ATIM_NOW = 2;
    private static final int FST_MTIM = 4;
    private static final int FST_MTIM_NOW = 8;

    private final Descriptors descriptors = new Descriptors();
    private final ScratchLinks links;
    private final FileData data;
    private final Supplier<FuelMeter> fuel;
    private final Clock clock;
    private boolean active;

    FileGuard(Supplier<FuelMeter> fuel, Clock clock) {
        this.fuel = fuel;
        this.clock = clock;
        this.links = new ScratchLinks(descriptors, this::charge);
        this.data = new FileData(descriptors, this::charge);
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
        links.begin();
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
            case "path_link" -> links::link;
            case "path_symlink" -> links::symlink;
            case "path_filestat_set_times" -> this::pathSetTimes;
            case "path_filestat_get" -> this::pathFilestatGet;
            case "path_readlink" -> this::readlink;
            case "fd_read" -> (c, i, a) -> data.data(c, i, a, false);
            case "fd_write" -> (c, i, a) -> data.data(c, i, a, true);
            case "fd_pread" -> (c, i, a) -> data.positioned(c, i, a, false);
            case "fd_pwrite" -> (c, i, a) -> data.positioned(c, i, a, true);
            case "fd_allocate" -> (c, i, a) -> data.resize(c, i, a, GuestMemory.sat(a[1], a[2]));
            case "fd_filestat_set_size" -> (c, i, a) -> data.resize(c, i, a, a[1]);
            case "fd_filestat_set_times" -> this::fdSetTimes;
            case "fd_readdir" -> this::readdir;
            case "fd_close" -> descriptors::close;
            case "fd_renumber" -> descriptors::renumber;
            case "fd_tell" -> {
                data.useTell(chicory);
                yield null;
            }
            case "fd_seek" -> {
                data.useSeek(chicory);
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
            if (walks) {
                charge(links.lookupFuel()); // 0 while scratch holds no link
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
        int openFlags = (int) args[4];
        boolean writes = (openFlags & (Descriptors.CREAT | Descriptors.TRUNC)) != 0
                || (args[5] & Descriptors.RIGHT_FD_WRITE) != 0 || ((int) args[7] & Descriptors.FDFLAG_APPEND) != 0;
        PathCall call = check(instance, args, writes, true, 2, 3);
        if (call.refused() != null) {
            return call.refused();
        }
        Open dir = call.dir();
        Path target = call.target();
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
            // every write goes to the end first (FileData), as O_APPEND does; fd_fdstat_* show and switch it.
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
        PathCall call = check(instance, args, true, false, 1, 2);
        if (call.refused() != null) {
            return call.refused();
        }
        if (call.dir() == null) {
            return chicory.handle().apply(instance, args);
        }
        Path target = call.target();
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
        PathCall call = check(instance, args, true, false, 1, 2);
        if (call.refused() != null) {
            return call.refused();
        }
        Path target = call.target();
        ScratchLinks.Entry gone = target == null ? ScratchLinks.Entry.NONE : ScratchLinks.Entry.of(target);
        long[] result = chicory.handle().apply(instance, args);
        if (call.dir() != null && Errno.succeeded(result)) {
            links.release(gone);
        }
        return result;
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
        ScratchLinks.Entry replaced = source != null && target != null && !source.equals(target)
                && !GuestPaths.sameFile(source, target) ? ScratchLinks.Entry.of(target) : ScratchLinks.Entry.NONE;
        long[] result = chicory.handle().apply(instance, args);
        if (Errno.succeeded(result)) {
            links.release(replaced);
        }
        return result;
    }

    /**
     * A path call, checked (and charged) before Chicory runs: {@code refused} is the errno it gets instead, or null
     * when it may go on; then {@code dir} is the descriptor it names (null: none of the invocation's) and
     * {@code target} where its path leads (null without {@code dir} or when Chicory cannot resolve it): lexically,
     * and in scratch through the chain of links when its lookup flags say follow.
     */
    private record PathCall(long[] refused, Open dir, Path target) {
        static PathCall refuse(Errno errno) {
            return new PathCall(errno.result(), null, null);
        }
    }

    /**
     * The refusals any path call meets: a component too long, a change under {@code /assets}, a path leaving
     * {@code /assets}, a chain of links too long in scratch.
     */
    private PathCall check(Instance instance, long[] args, boolean changes, boolean lookupFlags, int p, int l) {
        charge(FuelCosts.FILE_PATH_OP);
        String raw = GuestPaths.path(instance, args, p, l);
        if (raw == null) {
            return PathCall.refuse(Errno.ENAMETOOLONG);
        }
        Open dir = descriptors.get(args[0]);
        if (changes && dir != null && !dir.scratch()) {
            return PathCall.refuse(Errno.EROFS);
        }
        Path target = dir == null ? null : GuestPaths.resolve(dir.path(), raw);
        if (dir != null && !dir.scratch() && GuestPaths.leavesAssets(descriptors::assetsRoot, target)) {
            return PathCall.refuse(Errno.EPERM);
        }
        if (dir != null && dir.scratch() && target != null) {
            target = GuestPaths.lookup(target, lookupFlags && (args[1] & GuestPaths.LOOKUP_FOLLOW) != 0);
            if (target == null) {
                return PathCall.refuse(Errno.ELOOP); // before Chicory, whose own walk of a chain is unbounded
            }
        }
        return new PathCall(null, dir, target);
    }

    /** {@code path_filestat_get}: Chicory's, once {@link #check}ed. */
    private long[] pathFilestatGet(HostFunction chicory, Instance instance, long[] args) {
        PathCall call = check(instance, args, false, true, 2, 3);
        return call.refused() != null ? call.refused() : chicory.handle().apply(instance, args);
    }

    /**
     * {@code path_readlink}: refused as any path call is ({@link #check}), then read as POSIX reads a link
     * ({@link ScratchLinks#readlink}).
     */
    private long[] readlink(HostFunction chicory, Instance instance, long[] args) {
        PathCall call = check(instance, args, false, false, 1, 2);
        if (call.refused() != null) {
            return call.refused();
        }
        Path link = call.dir() == null || !call.dir().scratch() ? null : call.target();
        return links.readlink(chicory, instance, args, link);
    }

    /**
     * {@code path_filestat_set_times}: under {@code /assets} {@code EROFS}; in scratch Chicory's, except that it sets
     * a link's own times unless told to follow it (Chicory always follows; Linux's {@code utimensat} does not).
     */
    private long[] pathSetTimes(HostFunction chicory, Instance instance, long[] args) {
        PathCall call = check(instance, args, true, true, 2, 3);
        if (call.refused() != null) {
            return call.refused();
        }
        Path target = call.target();
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
            return ScratchListing.list(instance, args, dir.path());
        }
        return chicory.handle().apply(instance, args);
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
}
