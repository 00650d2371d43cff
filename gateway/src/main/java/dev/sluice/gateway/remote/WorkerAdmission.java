package dev.sluice.gateway.remote;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A worker's own admission: at most {@code maxConcurrency} invocations at once, none once draining. A refusal is a
 * value ({@link Optional#empty()}), answered at once as "not started", so the gateway may try another worker.
 * Thread-safe.
 */
final class WorkerAdmission {
    private final int maxConcurrency;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    // Guarded by lock.
    private int running;
    private long started;
    private boolean draining;

    WorkerAdmission(int maxConcurrency) {
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("worker-max-concurrency: " + maxConcurrency + " (expected: > 0)");
        }
        this.maxConcurrency = maxConcurrency;
    }

    /** One admitted invocation; close exactly once (idempotent). */
    final class Permit implements AutoCloseable {
        private boolean closed;

        @Override
        public void close() {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                if (--running == 0) {
                    idle.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** A permit, or empty when the worker is full or draining. */
    Optional<Permit> tryEnter() {
        lock.lock();
        try {
            if (draining || running >= maxConcurrency) {
                return Optional.empty();
            }
            running++;
            started++;
            return Optional.of(new Permit());
        } finally {
            lock.unlock();
        }
    }

    /** Refuse everything from now on; running work goes on. */
    void drain() {
        lock.lock();
        try {
            draining = true;
        } finally {
            lock.unlock();
        }
    }

    boolean draining() {
        lock.lock();
        try {
            return draining;
        } finally {
            lock.unlock();
        }
    }

    /** @return whether every admitted invocation finished within the time */
    boolean awaitIdle(long millis) throws InterruptedException {
        long remaining = TimeUnit.MILLISECONDS.toNanos(millis);
        lock.lock();
        try {
            while (running > 0) {
                if (remaining <= 0) {
                    return false;
                }
                remaining = idle.awaitNanos(remaining);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    int running() {
        lock.lock();
        try {
            return running;
        } finally {
            lock.unlock();
        }
    }

    /** Invocations admitted since start: each one ran (or began to run) the guest here at most once. */
    long started() {
        lock.lock();
        try {
            return started;
        } finally {
            lock.unlock();
        }
    }

    int maxConcurrency() {
        return maxConcurrency;
    }
}
