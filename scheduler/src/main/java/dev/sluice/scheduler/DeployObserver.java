package dev.sluice.scheduler;

import java.util.function.Supplier;

/**
 * Told the steps of one deploy inside a {@link FunctionRegistry}, for traces: each step's start and its end (or
 * failure), called on the deploying thread, in order. An observer must be quick, must not block and must not throw.
 * It travels with the {@link DeployRequest} ({@link DeployRequest#withObserver}), so registry decorators pass it on
 * untouched.
 */
public interface DeployObserver {
    /** Observes nothing. */
    DeployObserver NONE = new DeployObserver() {};

    /** A deploy's steps, in the order a registry runs them. */
    enum Step {
        /** The size, the binary's scan and parse, imports, start function and memory against the caps. */
        VALIDATE,
        /** Fuel metering instrumentation of the validated module, and the instrumented module's parse. */
        INSTRUMENT,
        /** Storing the function and its module (the data directory, or Redis), the function limit checked. */
        STORE,
        /** Waiting for the compile, up to the compile budget (the function runs interpreted meanwhile). */
        COMPILE
    }

    default void started(Step step) {}

    default void ended(Step step) {}

    /** The step failed with {@code failure} (which the registry throws on); no {@link #ended} follows. */
    default void failed(Step step, RuntimeException failure) {}

    /** Runs {@code work} as {@code step}, telling {@code observer} its start and end or failure. */
    static <T> T step(DeployObserver observer, Step step, Supplier<T> work) {
        observer.started(step);
        T result;
        try {
            result = work.get();
        } catch (RuntimeException e) {
            observer.failed(step, e);
            throw e;
        }
        observer.ended(step);
        return result;
    }
}
