package dev.sluice.scheduler;

/**
 * A worker pool's load at one moment, for metrics: read under the pool's lock, so the three agree.
 *
 * @param busy    worker threads running an invocation
 * @param workers worker threads in the pool
 * @param queued  invocations of every tenant waiting for a worker
 */
public record WorkerLoad(int busy, int workers, int queued) {
    public WorkerLoad {
        if (busy < 0 || workers < 0 || queued < 0 || busy > workers) {
            throw new IllegalArgumentException("busy: " + busy + ", workers: " + workers + ", queued: " + queued
                    + " (expected: 0 <= busy <= workers, queued >= 0)");
        }
    }
}
