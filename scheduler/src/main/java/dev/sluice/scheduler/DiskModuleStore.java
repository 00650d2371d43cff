package dev.sluice.scheduler;

import dev.sluice.config.AtomicFiles;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.shared.ModuleStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The {@link ModuleStore} on local disk: {@code <dataDir>/modules/<hex>.wasm}, the files the disk registry
 * ({@link FunctionStore}) has always kept. Every write goes through {@link AtomicFiles}, so a crash leaves no partial
 * file. Shared by processes only when they share the directory.
 *
 * <p>Thread-safe: files are immutable once published by an atomic rename, and concurrent writers of one digest
 * write identical bytes.
 */
public final class DiskModuleStore implements ModuleStore {
    private final Path modules;

    private DiskModuleStore(Path modules) {
        this.modules = modules;
    }

    /** The store under {@code <dataDir>/modules} (created on the first write). */
    public static DiskModuleStore open(Path dataDir) {
        return new DiskModuleStore(Objects.requireNonNull(dataDir, "dataDir").resolve("modules"));
    }

    /**
     * The store over a modules directory itself: a worker reading the module files of a gateway's data directory
     * on the same machine ({@code worker-module-dir = <gateway data-dir>/modules}).
     */
    public static DiskModuleStore directory(Path modules) {
        return new DiskModuleStore(Objects.requireNonNull(modules, "modules"));
    }

    @Override
    public void put(String digest, byte[] bytes) {
        Path file = file(digest);
        if (Files.exists(file)) {
            return; // content-addressed: same name, same bytes (verified when loaded)
        }
        try {
            AtomicFiles.write(file, bytes);
        } catch (IOException e) {
            throw new StorageFailure("cannot write module " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<byte[]> get(String digest) {
        Path file = file(digest);
        try {
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StorageFailure("cannot read module " + file + ": " + e, e);
        }
    }

    /** Best effort: a module file left behind is only wasted space, swept at the next open. */
    @Override
    public void delete(String digest) {
        try {
            Files.deleteIfExists(file(digest));
        } catch (IOException ignored) {
            // swept in the background after the next start
        }
    }

    /**
     * The digests of the module files here (files of other names are ignored), for the sweep of files no function
     * uses any more (left over by a crash between index write and delete). Empty when the directory is unreadable:
     * that shows up as soon as a module is read.
     */
    java.util.List<String> digests() {
        if (!Files.isDirectory(modules)) {
            return java.util.List.of();
        }
        try (Stream<Path> files = Files.list(modules)) {
            return files.map(f -> f.getFileName().toString())
                    .filter(name -> name.length() == 64 + 5 && name.endsWith(".wasm")
                            && name.substring(0, 64).matches("[0-9a-f]{64}"))
                    .map(name -> Digests.PREFIX + name.substring(0, 64))
                    .toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return java.util.List.of();
        }
    }

    /** @throws SchedulerException.InvalidInput when {@code digest} is not {@code sha256:<64 hex>} (no path escape) */
    Path file(String digest) {
        return modules.resolve(Digests.hex(digest) + ".wasm");
    }
}
