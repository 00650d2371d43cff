package dev.sluice.gateway.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.cluster.Balancer;
import dev.sluice.scheduler.cluster.WorkerAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gateway's stand-in placement: least outstanding, per-worker limit, bounded wait, exclusions. */
class StandInBalancerTest {
    private static final WorkerAddress A = new WorkerAddress("a", "127.0.0.1", 1001, 1);
    private static final WorkerAddress B = new WorkerAddress("b", "127.0.0.1", 1002, 1);

    private static long in(long millis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void picksTheLeastLoadedWorkerWithinItsLimitAndSkipsExcludedOnes() {
        StandInBalancer balancer = new StandInBalancer(() -> List.of(A, B), System::nanoTime);
        Balancer.Pick first = balancer.acquire("t", "d", Set.of(), in(1000));
        Balancer.Pick second = balancer.acquire("t", "d", Set.of(), in(1000));
        assertEquals(Set.of("a", "b"), Set.of(first.worker().id(), second.worker().id()));
        first.succeeded();
        assertEquals(first.worker().id(), balancer.acquire("t", "d", Set.of(), in(1000)).worker().id());
        assertThrows(IllegalStateException.class, first::lost, "one outcome per pick");
    }

    @Test
    void whenEveryWorkerIsFullACallWaitsForARelease() throws Exception {
        StandInBalancer balancer = new StandInBalancer(() -> List.of(A), System::nanoTime);
        Balancer.Pick holding = balancer.acquire("t", "d", Set.of(), in(1000));
        CompletableFuture<Balancer.Pick> waiting = CompletableFuture.supplyAsync(() ->
                balancer.acquire("t", "d", Set.of(), in(30_000)));
        assertThrows(java.util.concurrent.TimeoutException.class, () -> waiting.get(100, TimeUnit.MILLISECONDS));
        holding.notStarted();
        assertEquals("a", waiting.get(30, TimeUnit.SECONDS).worker().id());
    }

    @Test
    void theWaitEndsAtTheDeadlineAndNoCandidateFailsAtOnce() {
        StandInBalancer balancer = new StandInBalancer(() -> List.of(A), System::nanoTime);
        balancer.acquire("t", "d", Set.of(), in(1000));
        SchedulerException.Overloaded late = assertThrows(SchedulerException.Overloaded.class,
                () -> balancer.acquire("t", "d", Set.of(), in(100)));
        assertTrue(late.getMessage().contains("deadline"), late.getMessage());
        long start = System.nanoTime();
        assertThrows(SchedulerException.Overloaded.class, () -> balancer.acquire("t", "d", Set.of("a"), in(30_000)));
        assertThrows(SchedulerException.Overloaded.class,
                () -> new StandInBalancer(List::of, System::nanoTime).acquire("t", "d", Set.of(), in(30_000)));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "no waiting without a candidate");
    }
}
