package dev.sluice.scheduler;

/**
 * Sizing of the worker pool and the per-invocation limits that are the same for every function.
 *
 * @param workers                platform threads running guest code
 * @param maxConcurrentPerTenant how many of those one tenant may occupy at once: below {@code workers} so a tenant
 *                               flooding the pool with runaway guests always leaves room for the others
 * @param queuePerTenant         invocations a tenant may have waiting before it gets {@link SchedulerException.Overloaded}
 * @param maxStdoutBytes         output beyond this aborts the invocation
 * @param maxStderrBytes         same for stderr
 * @param workerStackBytes       thread stack of each worker, which bounds guest recursion depth predictably
 * @param compileBudgetMillis    how long a deploy (and a start) waits for modules to be compiled before answering
 *                               anyway, with the modules running on the interpreter until their compile is done;
 *                               0 never waits
 * @param compileThreads         platform threads compiling modules in the background
 */
public record SchedulerSettings(int workers, int maxConcurrentPerTenant, int queuePerTenant,
                                long maxStdoutBytes, long maxStderrBytes, long workerStackBytes,
                                long compileBudgetMillis, int compileThreads) {
    /** Default of {@link #compileBudgetMillis()}. */
    public static final long DEFAULT_COMPILE_BUDGET_MILLIS = 2_000;

    public SchedulerSettings {
        positive("workers", workers);
        positive("max-concurrent-per-tenant", maxConcurrentPerTenant);
        positive("queue-per-tenant", queuePerTenant);
        positive("max-stdout-bytes", maxStdoutBytes);
        positive("max-stderr-bytes", maxStderrBytes);
        positive("worker-stack-bytes", workerStackBytes);
        if (compileBudgetMillis < 0) {
            throw new SchedulerException.InvalidInput("compile-budget-ms: " + compileBudgetMillis
                    + " (expected: >= 0)");
        }
        positive("compile-threads", compileThreads);
        if (maxStdoutBytes > Integer.MAX_VALUE - 8 || maxStderrBytes > Integer.MAX_VALUE - 8) {
            // Output is buffered in a byte array.
            throw new SchedulerException.InvalidInput("max-stdout-bytes/max-stderr-bytes: "
                    + Math.max(maxStdoutBytes, maxStderrBytes) + " (expected: < 2 GiB)");
        }
    }

    /**
     * With the default compile budget ({@value #DEFAULT_COMPILE_BUDGET_MILLIS} ms) and one compile thread per two
     * workers (at least one).
     */
    public SchedulerSettings(int workers, int maxConcurrentPerTenant, int queuePerTenant, long maxStdoutBytes,
                             long maxStderrBytes, long workerStackBytes) {
        this(workers, maxConcurrentPerTenant, queuePerTenant, maxStdoutBytes, maxStderrBytes, workerStackBytes,
                DEFAULT_COMPILE_BUDGET_MILLIS, Math.max(1, workers / 2));
    }

    /** A copy with another {@link #compileBudgetMillis()}. */
    public SchedulerSettings withCompileBudgetMillis(long millis) {
        return new SchedulerSettings(workers, maxConcurrentPerTenant, queuePerTenant, maxStdoutBytes, maxStderrBytes,
                workerStackBytes, millis, compileThreads);
    }

    /** A copy with another {@link #compileThreads()}. */
    public SchedulerSettings withCompileThreads(int threads) {
        return new SchedulerSettings(workers, maxConcurrentPerTenant, queuePerTenant, maxStdoutBytes, maxStderrBytes,
                workerStackBytes, compileBudgetMillis, threads);
    }

    /**
     * One worker per processor (at least two), every tenant but one worker's worth, 64 queued per tenant,
     * 1 MiB stdout, 64 KiB stderr, 8 MiB stacks, a 2 s compile budget and one compile thread per two workers.
     */
    public static SchedulerSettings defaults() {
        int workers = Math.max(2, Runtime.getRuntime().availableProcessors());
        return new SchedulerSettings(workers, Math.max(1, workers - 1), 64, 1 << 20, 64 << 10, 8L << 20);
    }

    private static void positive(String key, long value) {
        if (value <= 0) {
            throw new SchedulerException.InvalidInput(key + ": " + value + " (expected: > 0)");
        }
    }
}
