package dev.sluice.config.live;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs the poller's next check after a delay; the poller schedules each check when the previous one ends, so the
 * period (and the backoff) is re-read every time. A seam so tests run the checks themselves instead of waiting.
 */
interface PollScheduler extends AutoCloseable {
    void schedule(Runnable task, Duration delay);

    /** Stops: nothing scheduled runs afterwards, and a check under way is interrupted. */
    @Override
    void close();

    /** One daemon thread, so a forgotten close never keeps the JVM alive. */
    static PollScheduler daemon(String threadName) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, threadName);
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return new PollScheduler() {
            @Override
            public void schedule(Runnable task, Duration delay) {
                try {
                    executor.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException closed) {
                    // close() won the race with the check that wanted the next one: nothing more to run.
                }
            }

            @Override
            public void close() {
                executor.shutdownNow();
                if (!Thread.currentThread().getName().equals(threadName)) {
                    try {
                        // Bounded: a check stuck in a Vault call is interrupted, and its timeout bounds it anyway.
                        executor.awaitTermination(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
    }
}
