package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fair sharing of the workers with the default settings of a 2-core machine: hostile tenants that hold every worker
 * they may (sleepers that cost no CPU, busy loops that cost all of it, each with a backlog queued behind) never keep
 * a well-behaved tenant from starting its calls.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WorkerSharingTest {
    private static final long UNMETERED = 1L << 50;
    /** Longer than anything here waits: a victim call queued behind a hostile one would time out first. */
    private static final long HOSTILE_TIMEOUT_MS = 30_000;
    private static final long VICTIM_TIMEOUT_MS = 3_000;
    private static final InvocationRequest EMPTY = new InvocationRequest(new byte[0], List.of(), Map.of());

    @TempDir
    Path dataDir;

    private LocalScheduler scheduler;
    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close();
        }
        callers.shutdownNow();
    }

    private static SchedulerSettings twoCoreDefaults() {
        return SchedulerSettings.forProcessors(2);
    }

    private FunctionSpec deploy(String tenant, String fixture, long timeoutMs) {
        return scheduler.functions().deploy(new DeployRequest(tenant, FunctionName.of(fixture),
                TestModules.load(fixture), 16, timeoutMs, 1 << 20, UNMETERED)).spec();
    }

    @ParameterizedTest(name = "{0} hostile tenants running {1}")
    @CsvSource({"2, sleep-forever", "2, infinite-loop", "3, sleep-forever", "3, infinite-loop"})
    void hostileTenantsHoldingEveryWorkerTheyMayNeverDelayAVictimsStart(int hostiles, String fixture)
            throws Exception {
        SchedulerSettings settings = twoCoreDefaults();
        scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH));
        WorkerPool pool = (WorkerPool) scheduler.dispatcher();
        int cap = settings.maxConcurrentPerTenant();
        List<Future<InvocationResult>> flood = new ArrayList<>();
        for (int h = 0; h < hostiles; h++) {
            FunctionSpec hostile = deploy("hostile-" + h, fixture, HOSTILE_TIMEOUT_MS);
            // Its cap and a backlog: the flood waits in its own queue.
            for (int i = 0; i < cap + 4; i++) {
                flood.add(callers.submit(() -> scheduler.dispatcher().invoke(hostile, EMPTY)));
            }
        }
        for (int h = 0; h < hostiles; h++) {
            String tenant = "hostile-" + h;
            awaitState(() -> pool.running(tenant) == cap && pool.queued(tenant) == 4,
                    () -> tenant + " never saturated its cap of " + cap + ": running " + pool.running(tenant)
                            + ", queued " + pool.queued(tenant));
        }
        FunctionSpec hello = deploy("victim", "hello", VICTIM_TIMEOUT_MS);

        for (int i = 0; i < 10; i++) {
            assertHelloStartsPromptly(hello, "n=" + i);
        }
        // A few at once too: the victim may have more than one call in flight.
        List<Future<Duration>> together = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String query = "together=" + i;
            together.add(callers.submit(() -> assertHelloStartsPromptly(hello, query)));
        }
        for (Future<Duration> call : together) {
            call.get(30, TimeUnit.SECONDS);
        }

        for (int h = 0; h < hostiles; h++) {
            assertEquals(cap, pool.running("hostile-" + h), "the victim ran beside the hostile tenants, not after");
        }
        assertTrue(flood.stream().noneMatch(Future::isDone), "no hostile call ended while the victim ran");
    }

    @Test
    void aTenantAllowedEveryWorkerStillLeavesTheReserveToTenantsRunningNothing() throws Exception {
        SchedulerSettings defaults = twoCoreDefaults();
        // As if the operator raised tenant-max-concurrency to the whole pool.
        SchedulerSettings settings = new SchedulerSettings(defaults.workers(), defaults.workers(),
                defaults.queuePerTenant(), defaults.maxStdoutBytes(), defaults.maxStderrBytes(),
                defaults.workerStackBytes(), defaults.compileBudgetMillis(), defaults.compileThreads(),
                defaults.reservedWorkers());
        scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH));
        WorkerPool pool = (WorkerPool) scheduler.dispatcher();
        FunctionSpec sleeper = deploy("greedy", "sleep-forever", HOSTILE_TIMEOUT_MS);
        for (int i = 0; i < settings.workers() + 4; i++) {
            callers.submit(() -> scheduler.dispatcher().invoke(sleeper, EMPTY));
        }
        int open = settings.workers() - settings.reservedWorkers();
        awaitState(() -> pool.running("greedy") == open && pool.queued("greedy") == settings.workers() + 4 - open,
                () -> "greedy should hold all but the reserve: running " + pool.running("greedy") + ", queued "
                        + pool.queued("greedy"));

        // Each of as many newcomers as the reserve holds starts at once, holding a reserve worker meanwhile.
        List<Future<InvocationResult>> newcomers = new ArrayList<>();
        for (int t = 0; t < settings.reservedWorkers(); t++) {
            FunctionSpec held = deploy("newcomer-" + t, "sleep", HOSTILE_TIMEOUT_MS);
            newcomers.add(callers.submit(() -> scheduler.dispatcher().invoke(held, EMPTY)));
        }
        for (Future<InvocationResult> call : newcomers) {
            assertEquals("slept\n", new String(call.get(30, TimeUnit.SECONDS).stdout(), UTF_8));
        }
        assertHelloStartsPromptly(deploy("victim", "hello", VICTIM_TIMEOUT_MS), "reserve");
        assertEquals(open, pool.running("greedy"), "the reserve never went to the tenant already running");
    }

    @Test
    void aFreedWorkerGoesToTheTenantRunningFewestNotToTheFirstInLine() throws Exception {
        // Three workers, no cap below the pool and no reserve: only the dispatch order decides.
        scheduler = LocalScheduler.open(new SchedulerSettings(3, 3, 8, 1 << 20, 64 << 10, 2L << 20, 0, 1, 0),
                dataDir, InstantSource.fixed(Instant.EPOCH));
        WorkerPool pool = (WorkerPool) scheduler.dispatcher();
        FunctionSpec hog = deploy("busy", "sleep-forever", HOSTILE_TIMEOUT_MS);
        // Light holds its worker until its 2 s timeout: time enough to queue behind it, however loaded the machine.
        FunctionSpec holding = deploy("light", "infinite-loop", 2_000);
        // Light's next call holds its worker too, so the decision stays visible: a call that ended at once would
        // free the worker again, and busy's queued call would take it before the test could look.
        FunctionSpec holdingNext = deploy("light", "sleep-forever", HOSTILE_TIMEOUT_MS);
        for (int i = 0; i < 2; i++) {
            callers.submit(() -> scheduler.dispatcher().invoke(hog, EMPTY));
        }
        awaitState(() -> pool.running("busy") == 2, () -> "busy never ran 2");
        Future<InvocationResult> held = callers.submit(() -> scheduler.dispatcher().invoke(holding, EMPTY));
        awaitState(() -> pool.running("light") == 1, () -> "light never ran");
        // The pool is full. "busy" queues first, "light" second; then light's timeout frees a worker.
        callers.submit(() -> scheduler.dispatcher().invoke(hog, EMPTY));
        awaitState(() -> pool.queued("busy") == 1, () -> "busy never queued");
        callers.submit(() -> scheduler.dispatcher().invoke(holdingNext, EMPTY));
        awaitState(() -> pool.queued("light") == 1 || held.isDone(), () -> "light never queued");
        assertTrue(!held.isDone(), "the test queued too slowly to see the order; nothing was decided yet");

        // The freed worker went to one of the two queued calls; both now hold their worker for longer than this test.
        awaitState(() -> pool.queued("busy") == 0 || pool.queued("light") == 0,
                () -> "the freed worker was never taken: busy running " + pool.running("busy") + ", light running "
                        + pool.running("light"));
        assertEquals(1, pool.running("light"), "the freed worker went to the tenant running fewest");
        assertEquals(0, pool.queued("light"));
        assertEquals(1, pool.queued("busy"), "the tenant running two waits behind the one that ran one");
        assertEquals(2, pool.running("busy"));
    }

    private Duration assertHelloStartsPromptly(FunctionSpec hello, String query) {
        long started = System.nanoTime();
        InvocationResult result = scheduler.dispatcher().invoke(hello,
                new InvocationRequest(new byte[0], List.of(), Map.of("QUERY_STRING", query)));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertEquals("Content-Type: text/plain\n\nhello " + query + "\n", new String(result.stdout(), UTF_8));
        // Generous for a loaded machine; a call queued behind a hostile one would wait 30 s (and give up at 3 s).
        assertTrue(took.compareTo(Duration.ofMillis(VICTIM_TIMEOUT_MS / 2)) < 0, "hello took " + took);
        return took;
    }

    /** Polls pool state the test cannot be told about otherwise; bounded, and asserts nothing about timing. */
    private static void awaitState(BooleanSupplier condition, java.util.function.Supplier<String> failure) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(failure.get());
            }
            LockSupport.parkNanos(1_000_000);
        }
    }
}
