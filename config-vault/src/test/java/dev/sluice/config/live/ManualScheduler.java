package dev.sluice.config.live;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Holds the poller's next check until the test runs it, and records every delay asked for. */
final class ManualScheduler implements PollScheduler {
    private final List<Duration> delays = new ArrayList<>();
    private Runnable pending;
    private boolean closed;

    @Override
    public synchronized void schedule(Runnable task, Duration delay) {
        if (!closed) {
            pending = task;
            delays.add(delay);
        }
    }

    /** Runs the check the poller scheduled, as its thread would when the delay is over. */
    void runPending() {
        Runnable task;
        synchronized (this) {
            if (pending == null) {
                throw new IllegalStateException("nothing scheduled");
            }
            task = pending;
            pending = null;
        }
        task.run();
    }

    synchronized Duration lastDelay() {
        return delays.get(delays.size() - 1);
    }

    synchronized boolean hasPending() {
        return pending != null;
    }

    @Override
    public synchronized void close() {
        closed = true;
        pending = null;
    }
}
