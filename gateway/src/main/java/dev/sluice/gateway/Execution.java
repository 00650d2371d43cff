package dev.sluice.gateway;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.metrics.SluiceMetrics;
import dev.sluice.scheduler.Dispatcher;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.WorkerLoad;
import dev.sluice.scheduler.shared.ModuleStore;
import java.time.InstantSource;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where the HTTP API's functions are kept and run: the in-process scheduler ({@code serve}) or a registry plus
 * remote workers ({@code gateway}). The API process is the same in both; only this differs.
 */
interface Execution extends AutoCloseable {
    /** Opens a process's execution; {@code metrics} is told of what it does (Redis commands, the pool's load). */
    @FunctionalInterface
    interface Opener {
        Execution open(SluiceConfig config, InstantSource clock, SluiceMetrics metrics);
    }

    FunctionRegistry functions();

    Dispatcher dispatcher();

    /**
     * The in-process worker pool's load, for metrics; empty where functions run elsewhere (remote workers). Present
     * exactly when functions run in this process, which then finds their asset trees itself; remote workers are sent
     * the assets' digest and mount and find the tree themselves (docs/files.md).
     */
    default Optional<Supplier<WorkerLoad>> load() {
        return Optional.empty();
    }

    /**
     * Where a function's assets are fetched from when this data directory does not have them (module blobs by digest,
     * in Redis with {@code tenancy-store = redis}), for functions run in this process; empty where only this data
     * directory has them.
     */
    default Optional<ModuleStore> sharedStore() {
        return Optional.empty();
    }

    /** Releases what {@link #dispatcher()} and {@link #functions()} hold; called after the dispatcher's shutdown. */
    @Override
    void close();
}
