package dev.sluice.gateway.core;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Counts admitted work so that a stopping process can let it finish: at most {@code limit} at once, none once
 * closed; {@link #awaitIdle} waits for what was admitted, up to a deadline. Admission is a value ({@code false} from
 * {@link #tryEnter}); what a refusal means to the caller (a 503 problem, a "worker busy" answer) is the caller's.
 * Shared by the gateway's drain and a worker's own admission. Thread-safe; every {@code true} from
 * {@link #tryEnter} must be matched by exactly one {@link #exit}.
 */
public final class WorkCounter {
    private final int limit;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    // Guarded by lock.
    private int running;
    private long started;
    private boolean closed;

    private WorkCounter(int limit) {
        this.limit = limit;
    }

    /** At most {@code limit} at once; the caller validates the limit under its own setting's name. */
    public static WorkCounter limitedTo(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        }
        return new WorkCounter(limit);
    }

    /** Refuses only once closed. */
    public static WorkCounter unlimited() {
        return new WorkCounter(Integer.MAX_VALUE);
    }

    /** @return whether the work was admitted (then call {@link #exit} once it ends) */
    public boolean tryEnter() {
        lock.lock();
        try {
            if (closed || running >= limit) {
                return false;
            }
            running++;
            started++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    public void exit() {
        lock.lock();
        try {
            if (--running == 0) {
                idle.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Refuse everything from now on; running work goes on. */
    public void close() {
        lock.lock();
        try {
            closed = true;
        } finally {
            lock.unlock();
        }
    }

    public boolean closed() {
        return read(() -> closed);
    }

    /** @return whether every admitted piece of work finished within the time */
    public boolean awaitIdle(long millis) throws InterruptedException {
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

    /**
     * Waits for each counter in turn, all within one deadline: for work that hands on to a second stage (an
     * admitted call, then the writing of its answer), wait for the first counter before the second.
     *
     * @return whether every counter was idle before the deadline
     */
    public static boolean awaitIdle(long millis, WorkCounter... inOrder) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (WorkCounter counter : inOrder) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (!counter.awaitIdle(Math.max(0, left))) {
                return false;
            }
        }
        return true;
    }

    public int running() {
        return read(() -> running);
    }

    /** Work admitted since this counter was made. */
    public long started() {
        return read(() -> started);
    }

    private <T> T read(Supplier<T> guarded) {
        lock.lock();
        try {
            return guarded.get();
        } finally {
            lock.unlock();
        }
    }
}
