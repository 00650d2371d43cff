package dev.sluice.scheduler;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The files of a disk cache of derived data: {@code <root>/<version>/<name>}, where the version names everything
 * that decides an entry's content, so a build never reads another build's entries (their directories are swept).
 * Without a version the cache is disabled: there are no files and a sweep empties the root. What an entry is, how
 * it is encoded and which entries are unwanted is the cache's business; this only handles files.
 *
 * <p>Everything here is best effort: a cache that cannot write or delete costs work later, never a failure. Messages
 * go to the owning cache's logger, so they read and are configured as that cache's.
 */
final class VersionedDirectory {
    private final Path root;
    /** Absent when the cache is disabled. */
    private final Optional<Path> dir;
    private final System.Logger log;

    VersionedDirectory(Path root, Optional<String> version, System.Logger log) {
        this.root = root;
        this.dir = version.map(root::resolve);
        this.log = log;
    }

    /** Whether this build has a version directory (else nothing is read or written). */
    boolean enabled() {
        return dir.isPresent();
    }

    /** Where the entry called {@code name} lives; empty when the cache is disabled. */
    Optional<Path> file(String name) {
        return dir.map(d -> d.resolve(name));
    }

    /**
     * Writes {@code bytes} to {@code file} through a temporary file renamed into place, so readers see a whole file
     * or none. No fsync: entries are checksummed, so one torn by a crash reads as absent. Returns whether it worked;
     * a failure is logged as a warning naming {@code what} and the file.
     */
    boolean writeAtomically(Path file, byte[] bytes, String what) {
        Path temp = null;
        try {
            Files.createDirectories(file.getParent());
            temp = Files.createTempFile(file.getParent(), ".", ".tmp");
            Files.write(temp, bytes);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return true;
        } catch (IOException e) {
            log.log(Level.WARNING, "cannot write " + what + " " + file + ": " + e);
            deleteQuietly(temp);
            return false;
        }
    }

    /** Deletes {@code path} (null: nothing) if it can; what stays is swept again at the next start. */
    static void deleteQuietly(Path path) {
        if (path == null) {
            return;
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // swept again at the next start
        }
    }

    /**
     * Deletes everything under the root but this version's directory and those of its entries {@code unwanted}
     * refuses: other versions' directories, and whatever the cache calls unwanted in its own (entries no longer
     * used, temporary files left by a crash). Disabled: everything under the root.
     */
    void sweep(Predicate<Path> unwanted) {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()) // children before their directory
                    .filter(p -> !p.equals(root) && dir.map(d -> !p.equals(d)).orElse(true))
                    .filter(p -> dir.isEmpty() || !p.getParent().equals(dir.get()) || unwanted.test(p))
                    .forEach(VersionedDirectory::deleteQuietly);
        } catch (IOException | RuntimeException e) {
            log.log(Level.DEBUG, "cannot sweep " + root + ": " + e);
        }
    }

    /**
     * The {@code version} property of the class-path resource {@code resource} next to {@code type}, if it is there
     * and safe as a directory name.
     */
    static Optional<String> versionOf(Class<?> type, String resource) {
        try (InputStream in = type.getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            Properties properties = new Properties();
            properties.load(in);
            return Optional.ofNullable(properties.getProperty("version"))
                    .filter(v -> v.matches("[A-Za-z0-9._-]+"));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
