package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.Instance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Supplier;

/**
 * Where a guest path leads, decided before Chicory sees it (docs/sandbox.md, "Files"): read from guest memory with
 * its components bounded ({@value #NAME_MAX} bytes), resolved as Chicory resolves it (lexically against the
 * directory), links in scratch followed at most {@value #MAX_SYMLINKS} times, and under {@code /assets} held inside
 * the real tree. Kept apart from {@link FileGuard} so that every rule about where a path may go is in one place;
 * stateless.
 */
final class GuestPaths {
    /** Longest path component, as Linux's {@code NAME_MAX}. */
    static final int NAME_MAX = 255;
    /** Most symbolic links one lookup follows, as Linux's {@code MAXSYMLINKS} (and Jimfs's own bound mid-path). */
    static final int MAX_SYMLINKS = 40;
    /** WASI's {@code lookupflags::symlink_follow}. */
    static final long LOOKUP_FOLLOW = 1;

    private GuestPaths() {
    }

    /** The path argument (its span already checked by {@link PointerChecks}), or null when a component is too long. */
    static String path(Instance instance, long[] args, int pointer, int length) {
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

    /** As Chicory resolves a guest path against a directory: null when it is absolute or leaves the directory. */
    static Path resolve(Path directory, String raw) {
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
     * The scratch path a lookup ends at: {@code path} itself, or with {@code follow} where its chain of symbolic
     * links leads (as Chicory follows it: each target as stored, which Chicory stores absolute in the call's own
     * Jimfs, whose root is the preopen's); null past {@value #MAX_SYMLINKS} links or when Jimfs meets a loop mid-path
     * ({@code ELOOP}). Chicory then walks the same chain, now known to be short.
     */
    static Path lookup(Path path, boolean follow) {
        for (int i = 0; i <= MAX_SYMLINKS; i++) {
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                // Jimfs follows links met mid-path itself, up to 40, then says so (Chicory would answer EIO).
                return e.getMessage() != null && e.getMessage().contains("too many levels of symbolic links")
                        ? null : path;
            }
            if (!follow || !attributes.isSymbolicLink()) {
                return path;
            }
            try {
                path = Files.readSymbolicLink(path);
            } catch (IOException e) {
                return path;
            }
        }
        return null;
    }

    /**
     * Whether the path under {@code /assets}, links followed, lies outside {@code assetsRoot} (the real path of
     * {@code /assets}, asked for only when the path exists). The upload refuses links, so none should exist; this
     * holds even if one did (a bug of the store, a hand-edited data directory), since Chicory follows links, and the
     * host file system follows a link met mid-path, wherever it points.
     */
    static boolean leavesAssets(Supplier<Path> assetsRoot, Path target) {
        if (target == null) {
            return false; // Chicory refuses a path it cannot resolve
        }
        Path real;
        try {
            real = target.toRealPath();
        } catch (NoSuchFileException e) {
            return false; // nothing there: Chicory answers ENOENT (a dangling link too: nothing is read)
        } catch (IOException | SecurityException e) {
            return true;
        }
        return !real.startsWith(assetsRoot.get());
    }

    /** The real path of the assets directory, against which {@link #leavesAssets} measures. */
    static Path realPath(Path directory) {
        try {
            return directory.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("assets: " + directory, e);
        }
    }

    /** Whether two names are one file (false when either cannot be read). */
    static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
