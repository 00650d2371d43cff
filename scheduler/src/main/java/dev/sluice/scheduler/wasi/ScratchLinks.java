package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import dev.sluice.scheduler.files.Scratch;
import dev.sluice.scheduler.fuel.FuelCosts;
import dev.sluice.scheduler.wasi.Descriptors.Open;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.LongConsumer;

/**
 * Links in scratch and what they cost (docs/sandbox.md, "Links in scratch"): a symbolic link takes an inode and a
 * block, a hard link neither, and a name removed gives back what it held unless another name still holds it. Jimfs
 * counts neither inodes nor a link's bytes, and Chicory's {@code path_link}, {@code path_symlink} and
 * {@code path_readlink} answer differently from Linux, so the accounting and those answers live here, apart from the
 * guard's checks. Remembers how deep the deepest link of the invocation reaches, which prices every later lookup
 * ({@link #lookupFuel}). One per worker thread, reset for each invocation ({@link #begin}); confined to that thread.
 */
final class ScratchLinks {
    /**
     * Most names in the place a symbolic link stores (its target resolved against the directory, from the preopen's
     * root): a lookup may expand {@value GuestPaths#MAX_SYMLINKS} links, each walking its target, so this bounds the
     * work.
     */
    static final int MAX_LINK_DEPTH = 128;

    /** What a name in scratch is, links not followed, as far as the bounds count it. */
    enum Entry {
        NONE, DIRECTORY, FILE, LINKED_FILE, SYMLINK;

        static Entry of(Path path) {
            try {
                BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS);
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

    private final Descriptors descriptors;
    private final LongConsumer charge;
    /** Names in the deepest target a symbolic link of this call stored (what a lookup may walk per link). */
    private int deepestLink;

    ScratchLinks(Descriptors descriptors, LongConsumer charge) {
        this.descriptors = descriptors;
        this.charge = charge;
    }

    /** The next invocation starts without links. */
    void begin() {
        deepestLink = 0;
    }

    /**
     * The fuel a path call's lookups may cost while scratch holds links: each lookup (the guard's, Chicory's) may
     * expand up to {@value GuestPaths#MAX_SYMLINKS} links, each a walk of its target's names. 0 without links.
     */
    long lookupFuel() {
        Scratch scratch = descriptors.scratch();
        return scratch != null && scratch.links() > 0
                ? (long) GuestPaths.MAX_SYMLINKS * deepestLink * FuelCosts.FILE_PER_ENTRY : 0;
    }

    /** A name removed (or replaced by a rename): its inode and a link's block freed, unless another name holds it. */
    void release(Entry gone) {
        Scratch scratch = descriptors.scratch();
        switch (gone) {
            case DIRECTORY, FILE -> scratch.releaseInode();
            case SYMLINK -> releaseLink();
            case LINKED_FILE, NONE -> { }
        }
    }

    /**
     * {@code path_link(old_fd, old_flags, old_path, new_fd, new_path)}: under {@code /assets} {@code EROFS}; from
     * {@code /assets} into scratch {@code EXDEV} (as Linux across mounts); within scratch, a second name for a file
     * (no inode, no block), {@code EPERM} for a directory (as Linux). Jimfs links regular files only, so a link to
     * a symbolic link is a copy of it (a link of its own: an inode and a block). Done here rather than by Chicory,
     * which answers {@code EIO} for an existing dangling link as the new name and {@code EACCES} for a directory.
     */
    long[] link(HostFunction chicory, Instance instance, long[] args) {
        charge.accept(FuelCosts.FILE_PATH_OP);
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
     * reached). A target longer than {@value PointerChecks#PATH_MAX} bytes never gets here: {@link PointerChecks}
     * answers it {@code ENAMETOOLONG} first, as it does any path.
     */
    long[] symlink(HostFunction chicory, Instance instance, long[] args) {
        charge.accept(FuelCosts.FILE_PATH_OP);
        String targetRaw = GuestPaths.path(instance, args, 0, 1);
        String newRaw = GuestPaths.path(instance, args, 3, 4);
        if (targetRaw == null || newRaw == null) {
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
        if (!reserveLink()) {
            return Errno.NOSPC.result();
        }
        long[] result = chicory.handle().apply(instance, args);
        if (!Errno.succeeded(result)) {
            releaseLink();
        } else if (stored != null) {
            deepestLink = Math.max(deepestLink, stored.getNameCount());
        }
        return result;
    }

    /** A symbolic link at {@code name} to {@code target} (one already stored by Chicory), counted as Chicory's are. */
    private long[] makeSymlink(Path name, Path target) throws IOException {
        if (!reserveLink()) {
            return Errno.NOSPC.result();
        }
        try {
            Files.createSymbolicLink(name, target);
            deepestLink = Math.max(deepestLink, target.getNameCount());
        } catch (IOException | RuntimeException e) {
            releaseLink();
            throw e;
        }
        return Errno.SUCCESS.result();
    }

    /** Counts a symbolic link's inode and block; false, nothing counted, when either bound is reached. */
    private boolean reserveLink() {
        Scratch scratch = descriptors.scratch();
        if (!scratch.reserveInode()) {
            return false;
        }
        if (!scratch.reserveLinkBlock()) {
            scratch.releaseInode();
            return false;
        }
        return true;
    }

    /** Gives back what {@link #reserveLink} counted, for a link that was not made or is gone. */
    private void releaseLink() {
        Scratch scratch = descriptors.scratch();
        scratch.releaseLinkBlock();
        scratch.releaseInode();
    }

    /**
     * {@code path_readlink(fd, path, buf, buf_len, &used)} once the guard let it through: in scratch, the place the
     * link names, relative to the link's own directory as POSIX reads a link ({@code d/g} for a link {@code -> d/g}
     * at the preopen's root, {@code ../g} for one in another directory of the root), cut to the buffer; Chicory
     * answers only its last name ({@code g}), wherever it is. The buffer's span was checked ({@link PointerChecks});
     * nothing is allocated from its length.
     *
     * @param link where the guard resolved the path in scratch; null outside scratch or when it does not resolve
     */
    long[] readlink(HostFunction chicory, Instance instance, long[] args, Path link) {
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
}
