package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.Overloaded;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerPoolTest {
    /** A budget no fixture exhausts before its timeout, so these tests see the limits they are about. */
    private static final long UNMETERED = 1L << 50;
    private static final InvocationRequest EMPTY = new InvocationRequest(new byte[0], List.of(), Map.of());

    @TempDir
    Path dataDir;

    private LocalScheduler scheduler;
    // Callers are virtual threads, as in the gateway.
    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close();
        }
        callers.shutdownNow();
    }

    private LocalScheduler open(int workers, int perTenant, int queue) {
        scheduler = LocalScheduler.open(new SchedulerSettings(workers, perTenant, queue, 1 << 20, 64 << 10, 2L << 20),
                dataDir, InstantSource.fixed(Instant.EPOCH));
        return scheduler;
    }

    private FunctionSpec deploy(String tenant, String fixture, long timeoutMs) {
        return scheduler.functions().deploy(new DeployRequest(tenant, FunctionName.of(fixture),
                TestModules.load(fixture), 16, timeoutMs, 1 << 20, UNMETERED)).spec();
    }

    private Future<InvocationResult> invokeAsync(FunctionSpec spec) {
        return callers.submit(() -> scheduler.dispatcher().invoke(spec, EMPTY));
    }

    /** Waits (bounded) until the pool reports {@code count} of the tenant's invocations on workers. */
    private void awaitRunning(String tenant, int count) {
        var pool = (WorkerPool) scheduler.dispatcher();
        awaitState(() -> pool.running(tenant) == count, tenant + " never had " + count + " running");
    }

    private void awaitQueued(String tenant, int count) {
        var pool = (WorkerPool) scheduler.dispatcher();
        awaitState(() -> pool.queued(tenant) == count, tenant + " never had " + count + " queued");
    }

    /** Polls pool state the test cannot be told about otherwise; bounded, and asserts nothing about timing. */
    private static void awaitState(BooleanSupplier condition, String failure) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(failure);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    @Test
    void aTenantFloodingWithRunawayGuestsDoesNotDelayAnotherTenant() throws Exception {
        open(3, 2, 16);
        FunctionSpec loop = deploy("flooder", "infinite-loop", 5_000);
        FunctionSpec plain = deploy("victim", "plain", 5_000);
        List<Future<InvocationResult>> flood = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            flood.add(invokeAsync(loop));
        }
        awaitRunning("flooder", 2);

        long started = System.nanoTime();
        var result = scheduler.dispatcher().invoke(plain, EMPTY);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

        assertEquals("just text\n", new String(result.stdout(), UTF_8));
        assertTrue(elapsed.compareTo(Duration.ofSeconds(2)) < 0, "took " + elapsed);
        assertEquals(2, ((WorkerPool) scheduler.dispatcher()).running("flooder"), "the flood stays within its cap");

        scheduler.dispatcher().shutdown(0);
        for (Future<InvocationResult> f : flood) {
            var e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
            assertInstanceOf(SchedulerException.class, e.getCause());
        }
    }

    @Test
    void aFullTenantQueueIsOverloadedWhileOtherTenantsAreServed() throws Exception {
        open(2, 1, 1);
        FunctionSpec loop = deploy("flooder", "infinite-loop", 5_000);
        Future<InvocationResult> runningOne = invokeAsync(loop);
        awaitRunning("flooder", 1);
        Future<InvocationResult> queued = invokeAsync(loop);
        awaitQueued("flooder", 1);

        var e = assertThrows(Overloaded.class, () -> scheduler.dispatcher().invoke(loop, EMPTY));
        assertTrue(e.getMessage().contains("invocations waiting (limit: 1)"), e.getMessage());
        // The owner string is opaque (the gateway passes the tenant's internal uid): it never reaches the client.
        assertFalse(e.getMessage().contains("flooder"), e.getMessage());
        var other = scheduler.dispatcher().invoke(deploy("victim", "plain", 5_000), EMPTY);
        assertEquals("just text\n", new String(other.stdout(), UTF_8));

        scheduler.dispatcher().shutdown(0);
        assertThrows(ExecutionException.class, () -> runningOne.get(5, TimeUnit.SECONDS));
        assertThrows(ExecutionException.class, () -> queued.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aTimeoutStillFiresWhenTheWatchdogHadGoneIdle() throws Exception {
        open(2, 1, 4);
        FunctionSpec loop = deploy("acme", "infinite-loop", 300);
        var pool = (WorkerPool) scheduler.dispatcher();
        // The watchdog stops ticking after a second with nothing in flight; only the submit can wake it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!pool.watchdogAsleep()) {
            if (System.nanoTime() > deadline) {
                fail("the idle watchdog never went to sleep");
            }
            LockSupport.parkNanos(10_000_000);
        }

        var e = assertThrows(InvocationFailed.class, () -> pool.invoke(loop, EMPTY));

        assertEquals(InvocationFailed.Kind.TIMEOUT, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("300 ms"), e.getMessage());
        awaitRunning("acme", 0); // the worker is free again
    }

    @Test
    void anInvocationWaitingForAWorkerLongerThanItsTimeoutGivesUpOverloaded() throws Exception {
        open(2, 1, 4);
        FunctionSpec hog = deploy("hog", "infinite-loop", 5_000);
        FunctionSpec quick = deploy("hog", "plain", 300);
        Future<InvocationResult> running = invokeAsync(hog);
        awaitRunning("hog", 1);

        long started = System.nanoTime();
        var e = assertThrows(Overloaded.class, () -> scheduler.dispatcher().invoke(quick, EMPTY));
        long waitedMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(e.getMessage().contains("300 ms"), e.getMessage());
        assertTrue(waitedMs < 3_000, "gave up after " + waitedMs + " ms, long before the hog's 5 s");
        assertEquals(0, ((WorkerPool) scheduler.dispatcher()).queued("hog"), "the expired job left the queue");

        scheduler.dispatcher().shutdown(0);
        assertThrows(ExecutionException.class, () -> running.get(5, TimeUnit.SECONDS));
    }

    @Test
    void shutdownLetsInFlightWorkFinishWithinTheGrace() throws Exception {
        open(2, 1, 4);
        Future<InvocationResult> inFlight = invokeAsync(deploy("acme", "sleep", 5_000));
        awaitRunning("acme", 1);

        scheduler.dispatcher().shutdown(5_000);

        assertEquals("slept\n", new String(inFlight.get(1, TimeUnit.SECONDS).stdout(), UTF_8));
        assertThrows(Overloaded.class, () -> scheduler.dispatcher().invoke(deploy("acme", "plain", 5_000), EMPTY));
    }

    @Test
    void shutdownInterruptsWorkStillRunningAtTheDeadline() throws Exception {
        open(2, 1, 4);
        Future<InvocationResult> runaway = invokeAsync(deploy("acme", "infinite-loop", 60_000));
        awaitRunning("acme", 1);

        long started = System.nanoTime();
        scheduler.dispatcher().shutdown(100);
        var e = assertThrows(ExecutionException.class, () -> runaway.get(5, TimeUnit.SECONDS));

        assertEquals(InvocationFailed.Kind.TIMEOUT, ((InvocationFailed) e.getCause()).kind());
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(3)) < 0);
    }

    @Test
    void concurrentInvocationsAllComplete() throws Exception {
        open(4, 3, 64);
        FunctionSpec hello = deploy("acme", "hello", 5_000);
        List<Future<InvocationResult>> results = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String query = "n=" + i;
            results.add(callers.submit(() -> scheduler.dispatcher().invoke(hello,
                    new InvocationRequest(new byte[0], List.of(), Map.of("QUERY_STRING", query)))));
        }
        for (int i = 0; i < results.size(); i++) {
            assertEquals("Content-Type: text/plain\n\nhello n=" + i + "\n",
                    new String(results.get(i).get(10, TimeUnit.SECONDS).stdout(), UTF_8));
        }
    }
}
