package dev.sluice.scheduler;

/**
 * Sizing of the worker pool and the per-invocation limits that are the same for every function.
 *
 * @param workers                platform threads running guest code. Not tied to the processor count: the OS
 *                               time-slices them, so with more of them than cores a tenant's short call still gets
 *                               CPU beside other tenants' busy loops, and a guest sleeping in {@code poll_oneoff}
 *                               holds a thread but no core
 * @param maxConcurrentPerTenant how many of those one tenant may occupy at once: a fraction of {@code workers} so a
 *                               tenant flooding the pool with runaway guests always leaves room for the others
 * @param queuePerTenant         invocations a tenant may have waiting before it gets {@link SchedulerException.Overloaded}
 * @param maxStdoutBytes         output beyond this aborts the invocation
 * @param maxStderrBytes         same for stderr
 * @param workerStackBytes       thread stack of each worker, which bounds guest recursion depth predictably
 * @param compileBudgetMillis    how long a deploy (and a start) waits for modules to be compiled before answering
 *                               anyway, with the modules running on the interpreter until their compile is done;
 *                               0 never waits
 * @param compileThreads         platform threads compiling modules in the background
 * @param reservedWorkers        the last free workers, kept for tenants that hold none: a tenant already running
 *                               something may not start more while only these are free, so a tenant with nothing
 *                               running starts at once beside tenants filling the rest, until that many newcomers
 *                               hold the reserve too (0: no reserve)
 */
public record SchedulerSettings(int workers, int maxConcurrentPerTenant, int queuePerTenant,
                                long maxStdoutBytes, long maxStderrBytes, long workerStackBytes,
                                long compileBudgetMillis, int compileThreads, int reservedWorkers) {
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
        if (reservedWorkers < 0 || reservedWorkers >= workers) {
            // At least one worker must be open to a tenant that already runs something, or none could run two.
            throw new SchedulerException.InvalidInput("reserved-workers: " + reservedWorkers + " (expected: 0.."
                    + (workers - 1) + ", fewer than the " + workers + " workers)");
        }
        if (maxStdoutBytes > Integer.MAX_VALUE - 8 || maxStderrBytes > Integer.MAX_VALUE - 8) {
            // Output is buffered in a byte array.
            throw new SchedulerException.InvalidInput("max-stdout-bytes/max-stderr-bytes: "
                    + Math.max(maxStdoutBytes, maxStderrBytes) + " (expected: < 2 GiB)");
        }
    }

    /**
     * With the default compile budget ({@value #DEFAULT_COMPILE_BUDGET_MILLIS} ms), one compile thread per two
     * processors (at least one, at most one per two workers) and a quarter of the workers reserved (none below 4).
     */
    public SchedulerSettings(int workers, int maxConcurrentPerTenant, int queuePerTenant, long maxStdoutBytes,
                             long maxStderrBytes, long workerStackBytes) {
        this(workers, maxConcurrentPerTenant, queuePerTenant, maxStdoutBytes, maxStderrBytes, workerStackBytes,
                DEFAULT_COMPILE_BUDGET_MILLIS, compileThreadsFor(workers, Runtime.getRuntime().availableProcessors()),
                defaultReserve(workers));
    }

    /** A copy with another {@link #compileBudgetMillis()}. */
    public SchedulerSettings withCompileBudgetMillis(long millis) {
        return new SchedulerSettings(workers, maxConcurrentPerTenant, queuePerTenant, maxStdoutBytes, maxStderrBytes,
                workerStackBytes, millis, compileThreads, reservedWorkers);
    }

    /** {@link #forProcessors} of this machine's processor count. */
    public static SchedulerSettings defaults() {
        return forProcessors(Runtime.getRuntime().availableProcessors());
    }

    /** A copy with another {@link #compileThreads()}. */
    public SchedulerSettings withCompileThreads(int threads) {
        return new SchedulerSettings(workers, maxConcurrentPerTenant, queuePerTenant, maxStdoutBytes, maxStderrBytes,
                workerStackBytes, compileBudgetMillis, threads, reservedWorkers);
    }

    /**
     * The defaults for a machine with {@code processors} cores: {@link #defaultWorkers} workers, a quarter of them
     * per tenant and a quarter reserved (so with the default pool three tenants at their cap still leave the
     * reserve free), 64 queued per tenant, 1 MiB stdout, 64 KiB stderr, 8 MiB stacks, a 2 s compile budget and one
     * compile thread per two processors.
     */
    public static SchedulerSettings forProcessors(int processors) {
        int workers = defaultWorkers(processors);
        return new SchedulerSettings(workers, defaultTenantCap(workers), 64, 1 << 20, 64 << 10, 8L << 20,
                DEFAULT_COMPILE_BUDGET_MILLIS, compileThreadsFor(workers, processors), defaultReserve(workers));
    }

    /**
     * Four guest threads per processor, at least 8: enough that sleepers and busy loops of several tenants leave
     * threads free, few enough that all of them at their memory cap stay a known, modest amount.
     */
    public static int defaultWorkers(int processors) {
        return Math.max(8, 4 * Math.max(1, processors));
    }

    /** A quarter of the workers (at least one): with 4 threads per processor, one thread per processor. */
    public static int defaultTenantCap(int workers) {
        return Math.max(1, workers / 4);
    }

    /** A quarter of the workers (none for fewer than 4, where there is too little to set aside). */
    public static int defaultReserve(int workers) {
        return workers / 4;
    }

    private static int compileThreadsFor(int workers, int processors) {
        // Compiling is CPU-bound: more threads than cores only adds memory (whole modules in flight).
        return Math.max(1, Math.min(workers, processors) / 2);
    }

    private static void positive(String key, long value) {
        if (value <= 0) {
            throw new SchedulerException.InvalidInput(key + ": " + value + " (expected: > 0)");
        }
    }
}
