package dev.sluice.gateway.remote;

import dev.sluice.gateway.core.WorkCounter;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A worker's own admission: at most {@code maxConcurrency} invocations at once, none once draining. A refusal is a
 * value ({@link Optional#empty()}), answered at once as "not started", so the gateway may try another worker.
 * Thread-safe.
 */
final class WorkerAdmission {
    private final int maxConcurrency;
    private final WorkCounter counter;

    WorkerAdmission(int maxConcurrency) {
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("worker-max-concurrency: " + maxConcurrency + " (expected: > 0)");
        }
        this.maxConcurrency = maxConcurrency;
        this.counter = WorkCounter.limitedTo(maxConcurrency);
    }

    /** One admitted invocation; close exactly once (idempotent). */
    final class Permit implements AutoCloseable {
        private final AtomicBoolean closed = new AtomicBoolean();

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                counter.exit();
            }
        }
    }

    /** A permit, or empty when the worker is full or draining. */
    Optional<Permit> tryEnter() {
        return counter.tryEnter() ? Optional.of(new Permit()) : Optional.empty();
    }

    /** Refuse everything from now on; running work goes on. */
    void drain() {
        counter.close();
    }

    boolean draining() {
        return counter.closed();
    }

    /** @return whether every admitted invocation finished within the time */
    boolean awaitIdle(long millis) throws InterruptedException {
        return counter.awaitIdle(millis);
    }

    int running() {
        return counter.running();
    }

    /** Invocations admitted since start: each one ran (or began to run) the guest here at most once. */
    long started() {
        return counter.started();
    }

    int maxConcurrency() {
        return maxConcurrency;
    }
}
