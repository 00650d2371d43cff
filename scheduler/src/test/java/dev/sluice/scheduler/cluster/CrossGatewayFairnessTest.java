package dev.sluice.scheduler.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.scheduler.SchedulerException.Overloaded;
import dev.sluice.scheduler.cluster.Balancer.Pick;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two balancers (two gateways) sharing simulated workers that enforce their own concurrency limit and refuse beyond
 * it, as a worker's admission does with {@code 503 worker-busy}. Callers act as the gateway's dispatcher does: a
 * refused call reports {@link Pick#refused()} and asks again without excluding the worker. Tenant X floods gateway A;
 * tenant Y sends a few calls through gateway B.
 *
 * <p>Time is a fake nano clock the test advances a millisecond at a time; a call holds its worker slot for
 * {@link #CALL} of it. After every event (a call ending, a tick, new callers) the test waits until every caller thread
 * is either finished or waiting in its gateway's queue, so which call takes a freed slot does not depend on thread
 * scheduling.
 */
class CrossGatewayFairnessTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long CALL = 20 * MS;
    private static final long TIMEOUT = 5_000 * MS; // the function's timeout: the longest a call may wait
    private static final int QUEUE = 64;

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, SimWorker> simWorkers = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Running> running = new ConcurrentLinkedQueue<>();
    private final List<Gateway> gateways = new ArrayList<>();

    @AfterEach
    void close() {
        gateways.forEach(g -> g.balancer.close());
        callers.shutdownNow();
    }

    @Test
    void aTenantOnAnotherGatewayGetsAWorkerWithinABoundedWaitWhileAFloodFillsItsOwnQueue() {
        List<WorkerAddress> workers = List.of(worker("w1", 4), worker("w2", 4));
        // The reserve keeps the last free slots (as each gateway sees them) for tenants running nothing; it is
        // what leaves a flooding gateway's workers some room for the other gateways' tenants.
        BalancerSettings settings = BalancerSettings.defaults().withQueueing(Integer.MAX_VALUE, QUEUE, 1);
        Gateway a = gateway("A", workers, settings, 1);
        Gateway b = gateway("B", workers, settings, 2);

        for (int i = 0; i < 300; i++) {
            a.call("x", "dx");
        }
        quiesce();
        assertEquals(QUEUE, a.balancer.queued("x"), "X's queue on A is full");
        int floodRefused = a.overloaded.get();
        assertTrue(floodRefused >= 300 - QUEUE - 8, "X's excess was refused at once: " + floodRefused);

        long start = clock.get();
        List<Long> yWaits = new ArrayList<>();
        int ySent = 0;
        while (clock.get() - start < 2_000 * MS) {
            long at = clock.get() - start;
            if (at % (100 * MS) == 0 && ySent < 15) {
                // Y: three calls at once every 100 ms, through the other gateway.
                for (int i = 0; i < 3; i++) {
                    b.call("y", "dy");
                    ySent++;
                }
            }
            if (at % (5 * MS) == 0) {
                for (int i = 0; i < 10; i++) {
                    a.call("x", "dx"); // X keeps its queue full
                }
            }
            quiesce();
            step();
        }
        while (b.admitted.size() < ySent && clock.get() - start < 10_000 * MS) {
            step();
        }

        assertEquals(0, b.overloaded.get(), "Y got Overloaded: " + b.failures);
        assertEquals(ySent, b.admitted.size(), "every Y call ran on a worker");
        yWaits.addAll(b.waits);
        long worst = yWaits.stream().mapToLong(Long::longValue).max().orElseThrow();
        System.out.printf("cross-gateway: Y calls %d, waits (ms) %s, worst %d ms; X admitted %d, X overloaded %d,"
                        + " refusals seen by A %d, by B %d%n", ySent, yWaits.stream().map(w -> w / MS).toList(),
                worst / MS, a.admitted.size(), a.overloaded.get(), a.refusals.get(), b.refusals.get());
        // Bounded: well within the longest busy back-off plus a few calls' time, far from the timeout.
        assertTrue(worst <= 800 * MS + 5 * CALL, "a Y call waited " + worst / MS + " ms");
        assertTrue(a.balancer.queued("x") > QUEUE / 2, "X's queue stayed (nearly) full: " + a.balancer.queued("x"));
        assertTrue(a.failures.stream().allMatch(m -> m.contains("waiting (limit: " + QUEUE + ")")),
                "X's calls failed only on its own full queue: " + a.failures.stream().distinct().limit(3).toList());
        assertTrue(a.admitted.size() > 100, "X kept running: " + a.admitted.size());
        simWorkers.values().forEach(w -> assertTrue(w.peak <= w.limit, w.id + " ran " + w.peak));
    }

    // ---- the simulation

    private static WorkerAddress worker(String id, int maxConcurrency) {
        return new WorkerAddress(id, "127.0.0.1", 9000 + Math.abs(id.hashCode() % 1000), maxConcurrency);
    }

    private Gateway gateway(String name, List<WorkerAddress> workers, BalancerSettings settings, long seed) {
        for (WorkerAddress w : workers) {
            simWorkers.computeIfAbsent(w.id(), id -> new SimWorker(id, w.maxConcurrency()));
        }
        ClusterBalancer balancer = ClusterBalancer.builder(() -> workers)
                .settings(settings)
                .nanoClock(clock::get)
                .random(new SplittableRandom(seed))
                .manualTicks()
                .build();
        Gateway gateway = new Gateway(name, balancer);
        gateways.add(gateway);
        return gateway;
    }

    /** One millisecond: calls that are due end (their slot frees, their gateway hears of it), then both tick. */
    private void step() {
        clock.addAndGet(MS);
        long now = clock.get();
        for (Iterator<Running> it = running.iterator(); it.hasNext(); ) {
            Running call = it.next();
            if (now - call.end >= 0) {
                it.remove();
                call.worker.release();
                call.pick.succeeded();
                quiesce();
            }
        }
        for (Gateway gateway : gateways) {
            gateway.balancer.tick();
            quiesce();
        }
    }

    /** Waits (real time, bounded) until every caller has finished or waits in its gateway's queue. */
    private void quiesce() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int stable = 0;
        while (stable < 2) {
            boolean quiet = gateways.stream().allMatch(Gateway::quiet);
            stable = quiet ? stable + 1 : 0;
            if (System.nanoTime() > deadline) {
                fail("callers never settled");
            }
            LockSupport.parkNanos(50_000);
        }
    }

    private static final class SimWorker {
        final String id;
        final int limit;
        int runs;
        int peak;

        SimWorker(String id, int limit) {
            this.id = id;
            this.limit = limit;
        }

        /** The worker's own admission: beyond its limit it refuses (503 worker-busy), whoever sent the call. */
        synchronized boolean tryAdmit() {
            if (runs >= limit) {
                return false;
            }
            runs++;
            peak = Math.max(peak, runs);
            return true;
        }

        synchronized void release() {
            runs--;
        }
    }

    private record Running(SimWorker worker, Pick pick, long end) {}

    private final class Gateway {
        final String name;
        final ClusterBalancer balancer;
        final AtomicInteger live = new AtomicInteger();
        final AtomicInteger inAcquire = new AtomicInteger();
        final AtomicInteger overloaded = new AtomicInteger();
        final AtomicInteger refusals = new AtomicInteger();
        final ConcurrentLinkedQueue<Long> waits = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> admitted = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final Set<String> tenants = ConcurrentHashMap.newKeySet();

        Gateway(String name, ClusterBalancer balancer) {
            this.name = name;
            this.balancer = balancer;
        }

        /** A caller as the gateway's dispatcher: acquire, send, and on a busy refusal report it and ask again. */
        void call(String tenant, String digest) {
            tenants.add(tenant);
            live.incrementAndGet();
            long sent = clock.get();
            long deadline = sent + TIMEOUT;
            callers.execute(() -> {
                try {
                    while (true) {
                        Pick pick;
                        inAcquire.incrementAndGet();
                        try {
                            pick = balancer.acquire(tenant, digest, Set.of(), deadline);
                        } catch (Overloaded e) {
                            overloaded.incrementAndGet();
                            failures.add(e.getMessage());
                            return;
                        } finally {
                            inAcquire.decrementAndGet();
                        }
                        SimWorker worker = simWorkers.get(pick.worker().id());
                        if (worker.tryAdmit()) {
                            waits.add(clock.get() - sent);
                            admitted.add(tenant);
                            running.add(new Running(worker, pick, clock.get() + CALL));
                            return;
                        }
                        refusals.incrementAndGet();
                        pick.refused(); // never started: ask again, without excluding the busy worker
                    }
                } finally {
                    live.decrementAndGet();
                }
            });
        }

        /** Every caller of this gateway has finished or is queued (not placed and about to send, not failing). */
        boolean quiet() {
            int queued = tenants.stream().mapToInt(balancer::queued).sum();
            return live.get() == inAcquire.get() && inAcquire.get() == queued;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
