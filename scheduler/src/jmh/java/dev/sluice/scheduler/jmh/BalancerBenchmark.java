package dev.sluice.scheduler.jmh;

import dev.sluice.scheduler.cluster.Balancer;
import dev.sluice.scheduler.cluster.ClusterBalancer;
import dev.sluice.scheduler.cluster.StaticWorkerDirectory;
import dev.sluice.scheduler.cluster.WorkerAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What placement costs a gateway per remote call: one {@link Balancer#acquire} and its outcome, with workers that
 * have room (no queueing), for a few tenants and modules. Compare with the remote hop itself (docs/performance.md).
 *
 * <p>Run with {@code scheduler/bench Balancer} (add {@code -t 8} for contention on the balancer's lock).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BalancerBenchmark {
    @Param({"3", "30"})
    int workers;

    private ClusterBalancer balancer;
    private final AtomicInteger threads = new AtomicInteger();

    @Setup
    public void open() {
        List<WorkerAddress> addresses = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            addresses.add(new WorkerAddress("w" + i, "127.0.0.1", 9000 + i, 1_000));
        }
        balancer = ClusterBalancer.builder(StaticWorkerDirectory.of(addresses)).build();
    }

    @TearDown
    public void close() {
        balancer.close();
    }

    @State(Scope.Thread)
    public static class Caller {
        String tenant;
        int call;

        @Setup
        public void name(BalancerBenchmark benchmark) {
            tenant = "tenant-" + benchmark.threads.incrementAndGet() % 4;
        }
    }

    @Benchmark
    public Object acquireAndSucceed(Caller caller) {
        Balancer.Pick pick = balancer.acquire(caller.tenant, "sha256:module-" + (caller.call++ % 50), Set.of(),
                System.nanoTime() + 1_000_000_000L);
        pick.succeeded();
        return pick;
    }
}
