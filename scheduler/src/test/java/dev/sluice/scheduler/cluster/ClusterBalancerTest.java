package dev.sluice.scheduler.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.scheduler.SchedulerException.Overloaded;
import dev.sluice.scheduler.cluster.Balancer.Pick;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The balancer's placement, queueing and ejection rules, on a fake nano clock and a directory the test edits. */
class ClusterBalancerTest {
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final Directory directory = new Directory();
    private final AtomicBoolean healthy = new AtomicBoolean(false);
    private final AtomicInteger probes = new AtomicInteger();
    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
    private ClusterBalancer balancer;

    @AfterEach
    void close() {
        if (balancer != null) {
            balancer.close();
        }
        callers.shutdownNow();
    }

    private ClusterBalancer open(BalancerSettings settings, WorkerAddress... workers) {
        directory.set(workers);
        balancer = ClusterBalancer.builder(directory)
                .settings(settings)
                .nanoClock(clock::get)
                .random(new SplittableRandom(42))
                .healthCheck(worker -> {
                    probes.incrementAndGet();
                    return healthy.get();
                })
                .manualTicks()
                .build();
        return balancer;
    }

    private ClusterBalancer open(WorkerAddress... workers) {
        return open(BalancerSettings.defaults(), workers);
    }

    private static WorkerAddress worker(String id, int maxConcurrency) {
        return new WorkerAddress(id, "127.0.0.1", 9000 + Math.abs(id.hashCode() % 1000), maxConcurrency);
    }

    private Pick acquire(String tenant, String digest, String... excluded) {
        return balancer.acquire(tenant, digest, Set.of(excluded), clock.get() + HOUR);
    }

    private Future<Pick> acquireAsync(String tenant, String digest, long deadline) {
        return callers.submit(() -> balancer.acquire(tenant, digest, Set.of(), deadline));
    }

    @Test
    void powerOfTwoChoicesSpreadsOutstandingCallsEvenly() {
        open(BalancerSettings.defaults().withAffinitySlack(0), worker("w1", 1000), worker("w2", 1000),
                worker("w3", 1000), worker("w4", 1000));
        for (int i = 0; i < 400; i++) {
            acquire("t", "digest-" + i); // held: nothing is reported
        }
        List<Integer> counts = List.of(balancer.outstanding("w1"), balancer.outstanding("w2"),
                balancer.outstanding("w3"), balancer.outstanding("w4"));
        int spread = counts.stream().max(Integer::compare).orElseThrow()
                - counts.stream().min(Integer::compare).orElseThrow();
        assertEquals(400, counts.stream().mapToInt(Integer::intValue).sum());
        assertTrue(spread <= 4, "outstanding per worker " + counts + " should be within 4 of each other");
    }

    @Test
    void callsOfOneModuleGoToItsHomeWorkerWhileItIsNotBusier() {
        open(worker("w1", 10), worker("w2", 10), worker("w3", 10));
        Set<String> chosen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            Pick pick = acquire("t" + (i % 3), "sha256:abc");
            chosen.add(pick.worker().id());
            pick.succeeded();
        }
        assertEquals(1, chosen.size(), "one digest, one warm worker: " + chosen);
        Set<String> homes = new HashSet<>();
        for (int i = 0; i < 60; i++) {
            Pick pick = acquire("t", "sha256:module-" + i);
            homes.add(pick.worker().id());
            pick.succeeded();
        }
        assertEquals(3, homes.size(), "different modules have their homes on different workers");
    }

    @Test
    void affinityYieldsOnceTheHomeIsLoadedMoreThanTheSlack() {
        open(worker("w1", 20), worker("w2", 20), worker("w3", 20));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            counts.merge(acquire("t", "sha256:hot").worker().id(), 1, Integer::sum);
        }
        assertEquals(3, counts.size(), "every worker took some of the hot module's calls: " + counts);
        int home = counts.values().stream().max(Integer::compare).orElseThrow();
        int least = counts.values().stream().min(Integer::compare).orElseThrow();
        // Slack 0.25 of 20 slots: the home runs at most 5 (+1, the call that crossed it) more than the others.
        assertTrue(home - least <= 6, "the home is loaded more than the slack allows: " + counts);
        assertTrue(home > least, "the home keeps its lead while within the slack: " + counts);
    }

    @Test
    void aWorkerNeverRunsMoreThanItsMaxConcurrency() {
        open(worker("w1", 2), worker("w2", 3));
        for (int i = 0; i < 5; i++) {
            acquire("t" + i, "d" + i);
        }
        assertEquals(2, balancer.outstanding("w1"));
        assertEquals(3, balancer.outstanding("w2"));
        Overloaded full = assertThrows(Overloaded.class,
                () -> balancer.acquire("t", "d", Set.of(), clock.get()));
        assertTrue(full.getMessage().contains("no worker had room"), full.getMessage());
    }

    @Test
    void aTenantWithOneCallIsServedBeforeAFloodingTenantsThousandQueuedCalls() throws Exception {
        open(BalancerSettings.defaults().withQueueing(Integer.MAX_VALUE, 1000, 0), worker("w1", 2));
        Pick first = acquire("flood", "d");
        acquire("flood", "d");
        List<Future<Pick>> flood = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            flood.add(acquireAsync("flood", "d", clock.get() + HOUR));
        }
        awaitState(() -> balancer.queued("flood") == 1000, "the flood never queued 1000");
        Overloaded beyond = assertThrows(Overloaded.class, () -> acquire("flood", "d"));
        assertTrue(beyond.getMessage().contains("1000 invocations waiting"), beyond.getMessage());

        Future<Pick> victim = acquireAsync("victim", "d", clock.get() + HOUR);
        awaitState(() -> balancer.queued("victim") == 1, "the victim never queued");
        first.succeeded();

        Pick served = victim.get(30, TimeUnit.SECONDS);
        assertEquals("w1", served.worker().id());
        assertEquals(1000, balancer.queued("flood"), "the freed slot went to the victim, not the flood");
        balancer.close();
        for (Future<Pick> call : flood) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof Overloaded, String.valueOf(e.getCause()));
        }
    }

    @Test
    void aCallWaitingPastItsDeadlineGetsOverloaded() throws Exception {
        open(worker("w1", 1));
        acquire("a", "d");
        Future<Pick> waiting = acquireAsync("b", "d", clock.get() + TimeUnit.MILLISECONDS.toNanos(100));
        awaitState(() -> balancer.queued("b") == 1, "the call never queued");
        balancer.tick();
        assertFalse(waiting.isDone(), "the deadline has not passed on the balancer's clock");

        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(101));
        balancer.tick();
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof Overloaded, String.valueOf(e.getCause()));
        assertTrue(e.getCause().getMessage().contains("within 100 ms"), e.getCause().getMessage());
        assertEquals(0, balancer.queued("b"));
    }

    @Test
    void excludedWorkersAreNotPickedAndExcludingEveryWorkerIsOverloadedAtOnce() {
        open(worker("w1", 10), worker("w2", 10));
        for (int i = 0; i < 20; i++) {
            Pick pick = acquire("t", "d" + i, "w1");
            assertEquals("w2", pick.worker().id());
            pick.succeeded();
        }
        Overloaded none = assertThrows(Overloaded.class, () -> acquire("t", "d", "w1", "w2"));
        assertTrue(none.getMessage().contains("2 refused it"), none.getMessage());
    }

    @Test
    void noKnownWorkerIsOverloadedAtOnce() {
        open();
        Overloaded none = assertThrows(Overloaded.class, () -> acquire("t", "d"));
        assertEquals("no worker is available", none.getMessage());
    }

    @Test
    void consecutiveFailuresEjectAWorkerUntilItAnswersItsHealthCheck() {
        open(worker("w1", 10), worker("w2", 10));
        for (int i = 0; i < 4; i++) {
            acquire("t", "d", "w2").lost();
        }
        assertFalse(balancer.ejected("w1"), "four failures are below the threshold of five");
        acquire("t", "d", "w2").notStarted();
        assertTrue(balancer.ejected("w1"));
        for (int i = 0; i < 20; i++) {
            Pick pick = acquire("t", "d" + i);
            assertEquals("w2", pick.worker().id(), "an ejected worker gets no calls");
            pick.succeeded();
        }

        balancer.tick();
        assertEquals(0, probes.get(), "not probed before the probe interval");
        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        balancer.tick();
        assertEquals(1, probes.get());
        assertTrue(balancer.ejected("w1"), "a failed health check keeps it out");

        healthy.set(true);
        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        balancer.tick();
        assertFalse(balancer.ejected("w1"), "it rejoins when it answers");
        assertEquals("w1", acquire("t", "d", "w2").worker().id());
    }

    @Test
    void aSuccessInBetweenResetsTheConsecutiveCountButAHighFailureRateEjects() {
        open(worker("w1", 10), worker("w2", 10));
        for (int i = 0; i < 9; i++) {
            acquire("t", "d", "w2").lost();
            acquire("t", "d", "w2").succeeded();
            clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
        }
        assertFalse(balancer.ejected("w1"), "9 of 18 failed: below the 20 calls the rate needs");
        acquire("t", "d", "w2").lost();
        acquire("t", "d", "w2").lost();
        assertTrue(balancer.ejected("w1"), "11 of 20 calls failed within the window");
    }

    @Test
    void failuresSpreadOverMoreThanTheWindowDoNotEject() {
        open(worker("w1", 10), worker("w2", 10));
        for (int i = 0; i < 30; i++) {
            acquire("t", "d", "w2").lost();
            acquire("t", "d", "w2").succeeded();
            acquire("t", "d", "w2").succeeded();
            acquire("t", "d", "w2").lost();
            clock.addAndGet(Duration.ofSeconds(6).toNanos()); // 8 calls per 10 s window: below the 20 it needs
        }
        assertFalse(balancer.ejected("w1"));
    }

    @Test
    void theLastUsableWorkerIsNeverEjected() {
        open(worker("w1", 10));
        for (int i = 0; i < 50; i++) {
            acquire("t", "d").lost();
        }
        assertFalse(balancer.ejected("w1"));
        assertEquals("w1", acquire("t", "d").worker().id());
    }

    @Test
    void refusalsForLoadDoNotEject() {
        open(worker("w1", 10), worker("w2", 10));
        for (int i = 0; i < 50; i++) {
            acquire("t", "d", "w2").refused();
            clock.addAndGet(TimeUnit.SECONDS.toNanos(1)); // past the busy back-off, which leaves w1 alone meanwhile
            balancer.tick();
        }
        assertFalse(balancer.ejected("w1"));
        assertEquals(0, balancer.outstanding("w1"), "a refused call no longer counts as outstanding");
    }

    @Test
    void whenEveryPresentWorkerIsEjectedTheyAreStillUsed() {
        open(worker("w1", 10), worker("w2", 10));
        for (int i = 0; i < 5; i++) {
            acquire("t", "d", "w2").lost();
        }
        assertTrue(balancer.ejected("w1"));
        directory.set(worker("w1", 10)); // w2 leaves: only the ejected w1 is left
        assertEquals("w1", acquire("t", "d").worker().id());
    }

    @Test
    void aSecondOutcomeForOnePickIsIgnored() {
        open(worker("w1", 1));
        Pick pick = acquire("t", "d");
        pick.succeeded();
        pick.lost();
        pick.succeeded();
        assertEquals(0, balancer.outstanding("w1"));
        acquire("t", "d"); // the one slot is free exactly once
        assertThrows(Overloaded.class, () -> balancer.acquire("t", "d", Set.of(), clock.get()));
    }

    @Test
    void workersJoiningAndLeavingTheDirectoryAreNoticedBetweenCalls() {
        open(worker("w1", 10));
        Pick onW1 = acquire("t", "d");
        assertEquals("w1", onW1.worker().id());

        directory.set(worker("w2", 10));
        for (int i = 0; i < 10; i++) {
            Pick pick = acquire("t", "d" + i);
            assertEquals("w2", pick.worker().id(), "the departed w1 gets no new calls");
            pick.succeeded();
        }
        assertEquals(1, balancer.outstanding("w1"), "the departed worker's call still counts until it settles");
        onW1.lost();
        assertEquals(0, balancer.outstanding("w1"));

        directory.set(worker("w2", 10), worker("w3", 10));
        Set<String> chosen = new HashSet<>();
        for (int i = 0; i < 16; i++) { // held, and fewer than the 20 slots of w2 and w3
            chosen.add(acquire("t", "d" + i).worker().id());
        }
        assertEquals(Set.of("w2", "w3"), chosen, "the joined w3 takes calls");
    }

    @Test
    void aWorkerJoiningWhileAllAreFullServesTheWaitingCallOnTheNextTick() throws Exception {
        open(worker("w1", 1));
        acquire("a", "d");
        Future<Pick> waiting = acquireAsync("b", "d", clock.get() + HOUR);
        awaitState(() -> balancer.queued("b") == 1, "the call never queued");
        directory.set(worker("w1", 1), worker("w2", 1));
        balancer.tick();
        assertEquals("w2", waiting.get(30, TimeUnit.SECONDS).worker().id());
    }

    @Test
    void concurrentCallersNeverExceedAWorkersLimitAndEveryCallSettles() throws Exception {
        open(worker("w1", 3), worker("w2", 3), worker("w3", 2));
        Map<String, AtomicInteger> running = Map.of("w1", new AtomicInteger(), "w2", new AtomicInteger(),
                "w3", new AtomicInteger());
        Map<String, Integer> limits = Map.of("w1", 3, "w2", 3, "w3", 2);
        AtomicInteger overLimit = new AtomicInteger();
        AtomicInteger served = new AtomicInteger();
        List<Future<?>> threads = new ArrayList<>();
        for (int c = 0; c < 24; c++) {
            String tenant = "t" + (c % 5);
            threads.add(callers.submit(() -> {
                for (int i = 0; i < 100; i++) {
                    Pick pick = balancer.acquire(tenant, "d" + (i % 7), Set.of(), clock.get() + HOUR);
                    String id = pick.worker().id();
                    if (running.get(id).incrementAndGet() > limits.get(id)) {
                        overLimit.incrementAndGet();
                    }
                    Thread.yield();
                    running.get(id).decrementAndGet();
                    if (i % 3 == 0) {
                        pick.refused();
                    } else {
                        pick.succeeded();
                    }
                    served.incrementAndGet();
                }
                return null;
            }));
        }
        // Refused calls leave their worker alone for a back-off: time must pass, as the background ticker makes it.
        AtomicBoolean done = new AtomicBoolean();
        Future<?> time = callers.submit(() -> {
            while (!done.get()) {
                clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(10));
                balancer.tick();
                LockSupport.parkNanos(200_000);
            }
        });
        try {
            for (Future<?> thread : threads) {
                thread.get(60, TimeUnit.SECONDS);
            }
        } finally {
            done.set(true);
        }
        time.get(60, TimeUnit.SECONDS);
        assertEquals(2_400, served.get());
        assertEquals(0, overLimit.get(), "a worker ran more calls at once than its max-concurrency");
        for (String id : limits.keySet()) {
            assertEquals(0, balancer.outstanding(id), id + " still counts calls that settled");
        }
    }

    @Test
    void aClosedBalancerRefusesNewCalls() {
        open(worker("w1", 1)).close();
        assertThrows(Overloaded.class, () -> acquire("t", "d"));
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

    /** A directory whose snapshot the test replaces, as a discovery refresh would. */
    private static final class Directory implements WorkerDirectory {
        private volatile List<WorkerAddress> workers = List.of();

        void set(WorkerAddress... workers) {
            this.workers = List.of(workers);
        }

        @Override
        public List<WorkerAddress> workers() {
            return workers;
        }
    }
}
