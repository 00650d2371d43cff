package dev.sluice.scheduler;

/**
 * Runs invocations somewhere: today on the in-process worker pool, later on remote workers. The caller blocks
 * (on its own virtual thread) while the guest runs on a worker's platform thread.
 */
public interface Dispatcher extends AutoCloseable {
    /**
     * @throws SchedulerException.Overloaded       when the tenant's queue (or the pool's) is full
     * @throws SchedulerException.InvocationFailed when the guest traps, times out or breaks a limit
     */
    default InvocationResult invoke(FunctionSpec function, InvocationRequest request) {
        return invoke(function, request, InvocationObserver.NONE);
    }

    /**
     * As {@link #invoke(FunctionSpec, InvocationRequest)}, telling {@code observer} when the invocation leaves its
     * queue and how long it ran.
     */
    InvocationResult invoke(FunctionSpec function, InvocationRequest request, InvocationObserver observer);

    /** Stops taking work and waits up to {@code graceMillis} for running invocations to finish. */
    void shutdown(long graceMillis);

    @Override
    default void close() {
        shutdown(0);
    }
}
