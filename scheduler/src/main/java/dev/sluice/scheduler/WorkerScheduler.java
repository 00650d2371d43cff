package dev.sluice.scheduler;

import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.shared.ModuleStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The scheduler of a {@code sluice worker} process: no function registry, only the sandbox. Each invocation names
 * its function's module by digest; the first call for a digest fetches the bytes from the shared
 * {@link ModuleStore}, verifies them against the digest, validates and instruments them, and queues their compile
 * (until it is done the module runs on the interpreter, as after a deploy). Later calls find it in the cache, and a
 * compiled form already in {@code <dataDir>/compiled} is loaded instead of compiled again.
 *
 * <p>This is the minimal worker-side module library; the shared-functions work replaces the fetch with its own
 * (eviction, negative caching), behind the same {@link Dispatcher}.
 *
 * <p>Threading: concurrent first calls for one digest load it once (a per-digest lock); other digests do not wait.
 */
public final class WorkerScheduler implements Dispatcher {
    private final ModuleStore store;
    private final ModuleValidator validator = new ModuleValidator(WasiImports.create());
    private final ModuleCache modules;
    private final WorkerPool pool;
    private final ConcurrentHashMap<String, Object> loading = new ConcurrentHashMap<>();

    private WorkerScheduler(SchedulerSettings settings, Path dataDir, ModuleStore store) {
        this.store = store;
        this.modules = new ModuleCache(CompiledCache.open(dataDir), ModuleCompiler.chicory(), settings.compileThreads(),
                System::nanoTime);
        this.pool = new WorkerPool(settings, modules::find);
    }

    /** Starts the worker threads; modules are compiled into {@code <dataDir>/compiled}. */
    public static WorkerScheduler open(SchedulerSettings settings, Path dataDir, ModuleStore store) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(dataDir, "dataDir");
        return new WorkerScheduler(settings, dataDir, Objects.requireNonNull(store, "store"));
    }

    /**
     * A read-only module store over a directory of {@code <hex>.wasm} files, as a gateway's data directory keeps
     * them ({@code <data-dir>/modules}); for workers that share that directory instead of Redis.
     */
    public static ModuleStore moduleDirectory(Path dir) {
        return new ModuleStore() {
            @Override
            public void put(String digest, byte[] bytes) {
                throw new UnsupportedOperationException("the module directory " + dir + " is read-only here");
            }

            @Override
            public Optional<byte[]> get(String digest) {
                Path file = dir.resolve(Digests.hex(digest) + ".wasm");
                try {
                    return Optional.of(Files.readAllBytes(file));
                } catch (NoSuchFileException e) {
                    return Optional.empty();
                } catch (IOException e) {
                    throw new StorageFailure("cannot read module " + file + ": " + e.getMessage(), e);
                }
            }

            @Override
            public void delete(String digest) {
                throw new UnsupportedOperationException("the module directory " + dir + " is read-only here");
            }
        };
    }

    /**
     * Runs the function's module, loading it by digest first if this worker has not yet.
     *
     * @throws StorageFailure when the store does not have the module or its bytes do not match the digest
     * @throws SchedulerException.ModuleRejected when the module no longer passes validation here
     */
    @Override
    public InvocationResult invoke(FunctionSpec function, InvocationRequest request) {
        load(function.tenant(), function.digest());
        return pool.invoke(function, request);
    }

    private void load(String tenant, String digest) {
        if (modules.find(digest).isPresent()) {
            return;
        }
        Digests.hex(digest); // a malformed digest is the caller's error, before any lookup
        Object lock = loading.computeIfAbsent(digest, d -> new Object());
        synchronized (lock) {
            if (modules.find(digest).isPresent()) {
                return;
            }
            byte[] bytes = store.get(digest).orElseThrow(() ->
                    new StorageFailure("module " + digest + " is not in the module store", null));
            String actual = Digests.sha256(bytes);
            if (!actual.equals(digest)) {
                throw new StorageFailure("module " + digest + " from the module store is corrupt: its digest is "
                        + actual, null);
            }
            // Held for the life of the worker: the module stays warm for every later call.
            modules.acquire(tenant, digest, validator.check(bytes));
        }
    }

    /** For tests and tools: how many modules this worker compiled (rather than loaded compiled from disk). */
    public long compiles() {
        return modules.compiles();
    }

    @Override
    public void shutdown(long graceMillis) {
        pool.shutdown(graceMillis);
    }

    @Override
    public void close() {
        pool.shutdown(0);
        modules.close();
    }
}
