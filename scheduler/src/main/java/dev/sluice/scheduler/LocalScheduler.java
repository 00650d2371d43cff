package dev.sluice.scheduler;

import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The scheduler running in this process: the function registry stored under a data directory and the worker pool
 * that runs invocations. Thread-safe; {@link #close()} stops the pool (the registry's writes are already durable).
 */
public final class LocalScheduler implements AutoCloseable {
    private final DiskFunctionRegistry functions;
    private final WorkerPool dispatcher;
    private final ModuleCache modules;

    private LocalScheduler(DiskFunctionRegistry functions, WorkerPool dispatcher, ModuleCache modules) {
        this.functions = functions;
        this.dispatcher = dispatcher;
        this.modules = modules;
    }

    /**
     * Loads the stored functions, verifying and compiling every module they use, then starts the workers.
     *
     * @throws SchedulerException.StorageFailure naming the file when the index or a module file is missing,
     *                                           corrupt or does not match its digest
     */
    public static LocalScheduler open(SchedulerSettings settings, Path dataDir, InstantSource clock) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clock, "clock");
        var store = new FunctionStore(dataDir);
        var validator = new ModuleValidator(WasiImports.create());
        var modules = new ModuleCache();
        List<FunctionSpec> loaded = store.load();
        Set<String> digests = loaded.stream().map(FunctionSpec::digest).collect(Collectors.toSet());
        for (String digest : digests) {
            byte[] bytes = store.readModule(digest);
            try {
                modules.compile(digest, validator.check(bytes));
            } catch (SchedulerException.ModuleRejected e) {
                // It passed these checks when deployed, so the rules or the runtime changed under it.
                throw new SchedulerException.StorageFailure("stored module " + store.moduleFile(digest)
                        + " is no longer accepted: " + e.getMessage(), e);
            }
        }
        store.deleteUnreferenced(digests);
        var registry = new DiskFunctionRegistry(store, validator, modules, clock, loaded);
        return new LocalScheduler(registry, new WorkerPool(settings, modules::find), modules);
    }

    public FunctionRegistry functions() {
        return functions;
    }

    public Dispatcher dispatcher() {
        return dispatcher;
    }

    /** For tests: the compiled-module cache. */
    ModuleCache modules() {
        return modules;
    }

    @Override
    public void close() {
        dispatcher.shutdown(0);
    }
}
