package dev.sluice.scheduler.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.scheduler.cluster.Balancer.Pick;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A worker that refuses for want of room ({@link Pick#refused()}, its slots filled by other gateways) on one
 * balancer: the call waits for room instead of failing, the worker is left alone for a back-off that grows on
 * refusals in a row, and the room learned grows back one admitted call at a time. Fake nano clock, manual ticks.
 */
class BusyWorkerTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
    private ClusterBalancer balancer;

    @AfterEach
    void close() {
        if (balancer != null) {
            balancer.close();
        }
        callers.shutdownNow();
    }

    private ClusterBalancer open(WorkerAddress... workers) {
        List<WorkerAddress> list = List.of(workers);
        balancer = ClusterBalancer.builder(() -> list)
                .settings(BalancerSettings.defaults().withBusyBackoff(Duration.ofMillis(50), Duration.ofMillis(200)))
                .nanoClock(clock::get)
                .random(new SplittableRandom(7))
                .manualTicks()
                .build();
        return balancer;
    }

    private static WorkerAddress worker(String id, int maxConcurrency) {
        return new WorkerAddress(id, "127.0.0.1", 9000 + Math.abs(id.hashCode() % 1000), maxConcurrency);
    }

    private Pick acquire(String tenant) {
        return balancer.acquire(tenant, "d", Set.of(), clock.get() + HOUR);
    }

    private Future<Pick> acquireAsync(String tenant) {
        long deadline = clock.get() + HOUR;
        return callers.submit(() -> balancer.acquire(tenant, "d", Set.of(), deadline));
    }

    private void advance(long nanos) {
        clock.addAndGet(nanos);
        balancer.tick();
    }

    @Test
    void aCallRefusedByEveryBusyWorkerWaitsInItsTenantsQueueInsteadOfFailing() throws Exception {
        open(worker("w1", 4), worker("w2", 4));
        acquire("y").refused();
        acquire("y").refused(); // both workers full of other gateways' calls

        Future<Pick> retry = acquireAsync("y"); // asked again without excluding anyone: no Overloaded at once
        awaitState(() -> balancer.queued("y") == 1, "the refused call never queued");
        advance(49 * MS);
        assertFalse(retry.isDone(), "a busy worker got a call during its back-off");

        advance(MS);
        Pick pick = retry.get(30, TimeUnit.SECONDS);
        pick.succeeded();
        assertEquals(0, balancer.queued("y"));
    }

    @Test
    void aSlotOneOfThisGatewaysOwnCallsFreesIsReusedDuringTheBackoff() throws Exception {
        open(worker("w1", 4));
        Pick first = acquire("x");
        acquire("x");
        acquire("x").refused(); // full of two of ours and two of another gateway's: our room there is two

        Future<Pick> third = acquireAsync("x");
        awaitState(() -> balancer.queued("x") == 1, "the third call never queued");
        assertEquals(2, balancer.outstanding("w1"));

        first.succeeded(); // that slot is free on the worker now, whatever the back-off says
        assertEquals("w1", third.get(30, TimeUnit.SECONDS).worker().id());
        assertEquals(2, balancer.outstanding("w1"));
    }

    @Test
    void theBackoffDoublesOnRefusalsInARowUpToItsMax() throws Exception {
        open(worker("w1", 4));
        acquire("y").refused();
        long[] expected = {50, 100, 200, 200}; // ms; the max is 200 here
        for (long backoff : expected) {
            Future<Pick> retry = acquireAsync("y");
            awaitState(() -> balancer.queued("y") == 1, "the retry never queued");
            advance((backoff - 1) * MS);
            assertFalse(retry.isDone(), "placed before a back-off of " + backoff + " ms ended");
            advance(MS);
            retry.get(30, TimeUnit.SECONDS).refused(); // still full
        }
    }

    @Test
    void eachAdmittedProbeRaisesTheRoomByOneBackToTheWorkersLimit() throws Exception {
        open(worker("w1", 4));
        acquire("y").refused(); // room learned: none
        advance(50 * MS);
        for (int room = 1; room <= 4; room++) {
            // The back-off is over: the room learned plus one may run; the next call waits.
            Pick[] picks = new Pick[room];
            for (int i = 0; i < room; i++) {
                picks[i] = acquire("y");
            }
            if (room < 4) {
                Future<Pick> beyond = acquireAsync("y");
                awaitState(() -> balancer.queued("y") == 1, "the call beyond the room never queued");
                for (Pick pick : picks) {
                    pick.succeeded(); // admitted: the worker has room for this many of ours
                }
                beyond.get(30, TimeUnit.SECONDS).succeeded();
            } else {
                for (Pick pick : picks) {
                    pick.succeeded();
                }
            }
        }
        // Back at the limit: four at once, the fifth waits for a slot, and no back-off is left to apply.
        for (int i = 0; i < 4; i++) {
            acquire("y");
        }
        Future<Pick> fifth = acquireAsync("y");
        awaitState(() -> balancer.queued("y") == 1, "the fifth call never queued");
        assertEquals(4, balancer.outstanding("w1"));
        fifth.cancel(true);
    }

    /** Polls state the test cannot be told about otherwise (a caller thread reaching the queue); bounded. */
    private static void awaitState(BooleanSupplier condition, String failure) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(failure);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }
}
