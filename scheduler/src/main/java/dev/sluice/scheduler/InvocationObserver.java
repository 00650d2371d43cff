package dev.sluice.scheduler;

/**
 * Told what happens to one invocation inside a {@link Dispatcher}, for traces and metrics (queue wait, run time),
 * which the caller cannot see from outside. The dispatcher calls it on whatever thread it is on (for a local run, a
 * worker's platform thread), so an observer must be quick, must not block and must not throw.
 */
public interface InvocationObserver {
    /** Observes nothing. */
    InvocationObserver NONE = new InvocationObserver() {};

    /**
     * The invocation left its tenant's queue after {@code queueWaitNanos} and is about to run: locally, a worker
     * thread took it; remotely, a worker's slot was granted (called again for each retry on another worker).
     * Not called when the invocation never left the queue (queue full, timed out waiting, cancelled).
     */
    default void started(long queueWaitNanos) {}

    /**
     * The run that {@link #started} announced ended after {@code runNanos}, whatever its outcome (a result, a guest
     * failure, a lost worker). Locally the guest's instantiation and run; remotely the call to the worker.
     */
    default void ran(long runNanos) {}
}
