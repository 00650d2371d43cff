package dev.sluice.gateway;

import dev.sluice.scheduler.Dispatcher;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.WorkerLoad;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where the HTTP API's functions are kept and run: the in-process scheduler ({@code serve}) or a registry plus
 * remote workers ({@code gateway}). The API process is the same in both; only this differs.
 */
interface Execution extends AutoCloseable {
    FunctionRegistry functions();

    Dispatcher dispatcher();

    /** The in-process worker pool's load, for metrics; empty where functions run elsewhere (remote workers). */
    default Optional<Supplier<WorkerLoad>> load() {
        return Optional.empty();
    }

    /** Releases what {@link #dispatcher()} and {@link #functions()} hold; called after the dispatcher's shutdown. */
    @Override
    void close();
}
