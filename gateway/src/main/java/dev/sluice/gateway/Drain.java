package dev.sluice.gateway;

import dev.sluice.gateway.core.InFlight;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Counts the work in flight so a stopping server can let it finish. Once {@link #close} is called, new work is
 * refused with a 503 problem and readiness turns false; work already admitted runs to completion, and
 * {@link #awaitIdle} waits for it up to a deadline. Thread-safe.
 */
final class Drain implements InFlight {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private int inFlight;
    private boolean closed;

    @Override
    public <T> T run(Supplier<T> work) {
        enter();
        try {
            return work.get();
        } finally {
            exit();
        }
    }

    boolean accepting() {
        lock.lock();
        try {
            return !closed;
        } finally {
            lock.unlock();
        }
    }

    int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
        } finally {
            lock.unlock();
        }
    }

    /** @return whether everything finished before the deadline */
    boolean awaitIdle(long timeoutMillis) throws InterruptedException {
        long remaining = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (inFlight > 0) {
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

    private void enter() {
        lock.lock();
        try {
            if (closed) {
                throw ProblemException.of(ProblemType.UNAVAILABLE, "the server is shutting down; retry elsewhere")
                        .header("Retry-After", "1");
            }
            inFlight++;
        } finally {
            lock.unlock();
        }
    }

    private void exit() {
        lock.lock();
        try {
            if (--inFlight == 0) {
                idle.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }
}
