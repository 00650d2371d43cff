package dev.sluice.gateway;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link RequestPathBenchmark}'s operations timed by this thread's CPU time instead of the wall clock: on a machine
 * shared with other work (load average well above the cores), JMH's wall-clock averages mostly measure the waits for
 * a core, while CPU time per operation stays close to what the code costs. Each operation runs for a warm-up
 * (default 5 s), then {@code rounds} (default 5) rounds of about a second; the median round is reported.
 * {@code gateway/bench cpu [warm-up seconds] [rounds]}.
 */
public final class RequestPathCpu {
    private RequestPathCpu() {}

    public static void main(String[] args) {
        double warmup = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        RequestPathBenchmark bench = new RequestPathBenchmark();
        bench.setUp();
        Blackhole hole = new Blackhole(
                "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
        Map<String, Runnable> operations = new LinkedHashMap<>();
        operations.put("authenticate", () -> hole.consume(bench.authenticate()));
        operations.put("metrics", bench::metrics);
        operations.put("wagi", () -> bench.wagi(hole));
        operations.put("quotaHeaders", () -> hole.consume(bench.quotaHeaders()));
        operations.put("invocationId", () -> hole.consume(bench.invocationId()));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        System.out.printf("%-14s %14s   (rounds, CPU ns/op)%n", "operation", "median ns/op");
        try {
            operations.forEach((name, operation) -> {
                run(threads, operation, (long) (warmup * 1e9));
                double[] perOp = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    perOp[r] = run(threads, operation, 1_000_000_000L);
                }
                double[] sorted = perOp.clone();
                java.util.Arrays.sort(sorted);
                StringBuilder all = new StringBuilder();
                for (double v : perOp) {
                    all.append(String.format(" %.0f", v));
                }
                System.out.printf("%-14s %14.0f   (%s)%n", name, sorted[rounds / 2], all.toString().strip());
            });
        } finally {
            bench.tearDown();
        }
    }

    /** Runs {@code operation} in batches until {@code cpuNanos} of this thread's CPU time; the CPU ns per call. */
    private static double run(ThreadMXBean threads, Runnable operation, long cpuNanos) {
        long start = threads.getCurrentThreadCpuTime();
        long calls = 0;
        long used;
        do {
            for (int i = 0; i < 1000; i++) {
                operation.run();
            }
            calls += 1000;
            used = threads.getCurrentThreadCpuTime() - start;
        } while (used < cpuNanos);
        return (double) used / calls;
    }
}
