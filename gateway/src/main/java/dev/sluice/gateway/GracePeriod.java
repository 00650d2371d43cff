package dev.sluice.gateway;

import java.lang.System.Logger.Level;

/**
 * The grace a stopping role gives its running work ({@code shutdown-grace-ms}): first the work in flight may finish,
 * then whatever the grace has left goes to stopping the workers. Started when the stop begins.
 */
final class GracePeriod {
    private static final System.Logger LOG = System.getLogger(GracePeriod.class.getName());

    /** Waits, at most a given number of milliseconds, until no work runs; whether it got there. */
    @FunctionalInterface
    interface Idle {
        boolean await(long millis) throws InterruptedException;
    }

    private final long graceMillis;
    private final long deadlineNanos;

    private GracePeriod(long graceMillis) {
        this.graceMillis = graceMillis;
        this.deadlineNanos = System.nanoTime() + graceMillis * 1_000_000;
    }

    static GracePeriod start(long graceMillis) {
        return new GracePeriod(graceMillis);
    }

    /** Lets running work finish within the grace; what is still running after it is stopped by the caller. */
    void awaitIdle(Idle idle) {
        try {
            if (!idle.await(graceMillis)) {
                LOG.log(Level.WARNING, "shutdown grace period over with invocations still running; stopping them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What is left of the grace, for stopping the workers. */
    long remainingMillis() {
        return Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
    }
}
