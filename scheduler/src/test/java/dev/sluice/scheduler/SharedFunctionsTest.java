package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.redis.RedisFixture;
import dev.sluice.scheduler.redis.RedisFunctionIndex;
import dev.sluice.scheduler.redis.RedisModuleStore;
import dev.sluice.scheduler.redis.SchedulerRedis;
import dev.sluice.scheduler.shared.FunctionIndex;
import dev.sluice.scheduler.testing.ConcurrentDeploys;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisServerExtension;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared functions across processes, each simulated by its own Redis connection and data directory against one real
 * Redis: a deploy through one is seen by the others at once, workers fetch modules by digest on first use, verify
 * them, compile each once per process and load it from their compiled cache after a restart.
 */
class SharedFunctionsTest {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();
    private static final long WAIT_SECONDS = 60;
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.parse("2030-01-02T03:04:05Z"));
    private static final SchedulerSettings SETTINGS = new SchedulerSettings(4, 4, 16, 1 << 20, 64 << 10, 8L << 20)
            .withCompileBudgetMillis(0);

    @TempDir
    Path gatewayDir;
    @TempDir
    Path workerDir;

    private RedisFixture redis;
    private final List<LocalScheduler> opened = new ArrayList<>();

    @BeforeEach
    void connect() {
        redis = new RedisFixture(REDIS.server());
    }

    @AfterEach
    void close() {
        opened.reversed().forEach(LocalScheduler::close);
        redis.close();
    }

    /** An all-in-one process: registry and in-process workers, its own connection. */
    private LocalScheduler allInOne(Path dataDir) {
        SchedulerRedis connection = redis.process();
        var scheduler = LocalScheduler.openShared(SETTINGS, dataDir, CLOCK, RedisModuleStore.create(connection),
                RedisFunctionIndex.create(connection), () -> { });
        opened.add(scheduler);
        return scheduler;
    }

    /** A worker process: fetches modules by digest, its own connection. */
    private LocalScheduler worker(Path dataDir, int capacity) {
        SchedulerRedis connection = redis.process();
        var scheduler = LocalScheduler.openShared(SETTINGS, dataDir, CLOCK, RedisModuleStore.create(connection),
                null, () -> { }, ModuleCompiler.chicory(), capacity);
        opened.add(scheduler);
        return scheduler;
    }

    /** A gateway that only dispatches: the registry, nothing compiled. */
    private FunctionRegistry gatewayRegistry() {
        SchedulerRedis connection = redis.process();
        return LocalScheduler.sharedRegistry(CLOCK, RedisModuleStore.create(connection),
                RedisFunctionIndex.create(connection));
    }

    private static DeployRequest request(String tenant, String name, String fixture) {
        return new DeployRequest(tenant, FunctionName.of(name), TestModules.load(fixture), 16, 60_000, 1 << 20,
                1_000_000_000L);
    }

    private static String run(LocalScheduler scheduler, FunctionSpec spec) {
        return new String(scheduler.dispatcher().invoke(spec, new InvocationRequest(new byte[0], List.of(spec.name()
                .value()), Map.of("QUERY_STRING", "x=1"))).stdout(), UTF_8);
    }

    @Test
    void aDeployThroughOneProcessIsFoundAndRunByAnotherWithinASecond() {
        FunctionRegistry gatewayA = gatewayRegistry();
        FunctionRegistry gatewayB = gatewayRegistry();
        LocalScheduler worker = worker(workerDir, 8);

        var deployment = gatewayA.deploy(request("acme", "greet", "hello"));
        assertFalse(deployment.compiled(), "a gateway that only dispatches compiles nothing");
        long started = System.nanoTime();
        Optional<FunctionSpec> seen = gatewayB.find("acme", FunctionName.of("greet"));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertEquals(Optional.of(deployment.spec()), seen);
        assertTrue(millis < 1_000, "seen after " + millis + " ms");
        assertEquals("Content-Type: text/plain\n\nhello x=1\n", run(worker, seen.get()));
        assertEquals(1, worker.library().fetches());

        assertTrue(gatewayB.delete("acme", FunctionName.of("greet")));
        assertEquals(Optional.empty(), gatewayA.find("acme", FunctionName.of("greet")));
        assertEquals(List.of(), redis.keys(), "the module went with its last function");
    }

    @Test
    void theTenantsFunctionLimitHoldsAcrossProcessesDeployingAtOnce() throws Exception {
        List<FunctionRegistry> gateways = List.of(gatewayRegistry(), gatewayRegistry(), gatewayRegistry());
        assertEquals(4, ConcurrentDeploys.taken(9, i -> gateways.get(i % gateways.size()),
                i -> new DeployRequest("acme", FunctionName.of("f" + i),
                        TestModules.load(i % 2 == 0 ? "plain" : "hello"), 16, 1_000, 1 << 20, 1_000_000, 4)));
        assertEquals(4, gateways.get(1).list("acme").size());
        gateways.get(2).deleteAll("acme");
        assertEquals(List.of(redis.settings().keyPrefix() + "{functions}:gone:acme"), redis.keys(),
                "deleteAll leaves no function, reference or module; only the tombstone refusing late deploys");
    }

    @Test
    void aModuleWhoseStoredBytesDoNotMatchItsDigestIsRefusedNotRun() {
        FunctionSpec spec = gatewayRegistry().deploy(request("acme", "plain", "plain")).spec();
        // A valid module that would run: only the digest check stands between it and the guest's caller.
        redis.overwriteModule(spec.digest(), TestModules.load("hello"));
        LocalScheduler worker = worker(workerDir, 8);

        var e = assertThrows(StorageFailure.class, () -> run(worker, spec));
        assertTrue(e.getMessage().contains(spec.digest()) && e.getMessage().contains("corrupt"), e.getMessage());
        assertTrue(worker.modules().find(spec.digest()).isEmpty(), "nothing was prepared from the bytes");
        // Not remembered: once the store holds the right bytes again, the function runs.
        redis.overwriteModule(spec.digest(), TestModules.load("plain"));
        run(worker, spec);
    }

    @Test
    void aModuleMissingFromTheStoreIsAStorageFailureNamingTheFunction() {
        FunctionSpec spec = gatewayRegistry().deploy(request("acme", "plain", "plain")).spec();
        RedisModuleStore.create(redis.process()).delete(spec.digest());

        var e = assertThrows(StorageFailure.class, () -> run(worker(workerDir, 8), spec));
        assertTrue(e.getMessage().contains("acme/plain") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void concurrentFirstCallsOnAWorkerFetchAndCompileTheModuleOnce() throws Exception {
        FunctionSpec spec = gatewayRegistry().deploy(request("acme", "echo", "echo")).spec();
        LocalScheduler worker = worker(workerDir, 8);
        int calls = 8;
        var ready = new CountDownLatch(1);
        List<CompletableFuture<String>> outcomes = new ArrayList<>();
        try (var threads = Executors.newFixedThreadPool(calls)) {
            for (int i = 0; i < calls; i++) {
                outcomes.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        ready.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return run(worker, spec);
                }, threads));
            }
            ready.countDown();
            for (var outcome : outcomes) {
                assertTrue(outcome.get(WAIT_SECONDS, TimeUnit.SECONDS).startsWith("Content-Type:"));
            }
        }
        CompiledModule module = worker.modules().find(spec.digest()).orElseThrow();
        assertTrue(module.compiled().get(WAIT_SECONDS, TimeUnit.SECONDS));
        run(worker, spec);

        assertEquals(1, worker.library().fetches());
        assertEquals(1, worker.modules().compiles());
    }

    @Test
    void aRestartedWorkerLoadsWhatItCompiledInsteadOfCompilingAgain() throws Exception {
        FunctionSpec spec = gatewayRegistry().deploy(request("acme", "echo", "echo")).spec();
        LocalScheduler first = worker(workerDir, 8);
        run(first, spec);
        assertTrue(first.modules().find(spec.digest()).orElseThrow().compiled().get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(1, first.modules().compiles());
        first.close();
        opened.remove(first);

        LocalScheduler restarted = worker(workerDir, 8);
        run(restarted, spec);
        assertTrue(restarted.modules().find(spec.digest()).orElseThrow().compiled()
                .get(WAIT_SECONDS, TimeUnit.SECONDS));

        assertEquals(0, restarted.modules().compiles(), "loaded from <data-dir>/compiled");
        assertEquals(1, restarted.modules().disk().hits());
    }

    @Test
    void aWorkerKeepsAtMostItsCapacityDroppingTheLeastRecentlyUsedModule() {
        FunctionRegistry gateway = gatewayRegistry();
        FunctionSpec plain = gateway.deploy(request("acme", "plain", "plain")).spec();
        FunctionSpec hello = gateway.deploy(request("acme", "hello", "hello")).spec();
        FunctionSpec echo = gateway.deploy(request("acme", "echo", "echo")).spec();
        LocalScheduler worker = worker(workerDir, 2);

        run(worker, plain);
        run(worker, hello);
        run(worker, plain); // plain is now the most recently used
        run(worker, echo);  // over capacity: hello goes

        assertEquals(2, worker.library().size());
        assertTrue(worker.modules().find(hello.digest()).isEmpty(), "hello's module reference was given back");
        assertTrue(worker.modules().find(plain.digest()).isPresent());
        assertEquals(3, worker.library().fetches());
        run(worker, hello); // fetched again
        assertEquals(4, worker.library().fetches());
    }

    @Test
    void anAllInOneProcessRunsWhatItDeployedWithoutFetchingIt() {
        LocalScheduler process = allInOne(gatewayDir);
        FunctionSpec spec = process.functions().deploy(request("acme", "greet", "hello")).spec();

        assertEquals("Content-Type: text/plain\n\nhello x=1\n", run(process, spec));
        assertEquals(0, process.library().fetches(), "the deploy handed its validated module to the library");
    }

    @Test
    void aDeployWaitsWhileAnotherProcessDeletesTheSameModulesBytes() throws Exception {
        SchedulerRedis connection = redis.process();
        RedisFunctionIndex index = RedisFunctionIndex.create(connection);
        RedisModuleStore store = RedisModuleStore.create(connection);
        FunctionRegistry registry = gatewayRegistry();
        FunctionSpec spec = registry.deploy(request("acme", "a", "plain")).spec();
        // Another process removed the last function and is about to delete the bytes (it has not yet).
        FunctionIndex.Removal removal = index.delete("acme", FunctionName.of("a"));
        assertEquals(List.of(spec.digest()), removal.orphaned());

        CompletableFuture<FunctionRegistry.Deployment> deploy = CompletableFuture.supplyAsync(
                () -> registry.deploy(request("globex", "b", "plain")));
        assertThrows(java.util.concurrent.TimeoutException.class, () -> deploy.get(300, TimeUnit.MILLISECONDS),
                "the deploy must not store a function whose module is being deleted");
        store.delete(spec.digest());
        index.deleted(spec.digest());

        FunctionSpec redeployed = deploy.get(WAIT_SECONDS, TimeUnit.SECONDS).spec();
        assertTrue(store.get(redeployed.digest()).isPresent(), "the deploy stored the bytes after the deletion");
    }

    /** A gateway registry reading through {@code connection}, on a clock the test advances. */
    private static FunctionRegistry registryOn(SchedulerRedis connection, java.util.concurrent.atomic.AtomicLong nanos) {
        return new SharedFunctionRegistry(RedisFunctionIndex.create(connection), RedisModuleStore.create(connection),
                new ModuleValidator(WasiImports.create()), Optional.empty(), CLOCK, 0, nanos::get);
    }

    @Test
    void aChangeMadeElsewhereIsSeenOnceTheLastReadIsAQuarterSecondOld() {
        var nanos = new java.util.concurrent.atomic.AtomicLong();
        FunctionRegistry reader = registryOn(redis.process(), nanos);
        FunctionRegistry writer = gatewayRegistry();
        FunctionName name = FunctionName.of("greet");
        FunctionSpec spec = writer.deploy(request("acme", "greet", "hello")).spec();
        assertEquals(Optional.of(spec), reader.find("acme", name));

        assertTrue(writer.delete("acme", name));
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(249));
        assertEquals(Optional.of(spec), reader.find("acme", name), "served from the last read");
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
        assertEquals(Optional.empty(), reader.find("acme", name), "read again: gone");
        // A change through the reader itself is seen at once.
        FunctionSpec again = reader.deploy(request("acme", "greet", "plain")).spec();
        assertEquals(Optional.of(again), reader.find("acme", name));
    }

    @Test
    void whileTheSharedStoreIsAwayKnownFunctionsAreStillFoundAndUnknownOnesFailAsStorageFailures() {
        var nanos = new java.util.concurrent.atomic.AtomicLong();
        try (var server = dev.sluice.tenancy.testing.RedisTestServer.start();
             var own = new RedisFixture(server)) {
            FunctionRegistry reader = registryOn(own.process(), nanos);
            SchedulerRedis writer = own.process();
            FunctionSpec spec = LocalScheduler.sharedRegistry(CLOCK, RedisModuleStore.create(writer),
                    RedisFunctionIndex.create(writer)).deploy(request("acme", "greet", "hello")).spec();
            assertEquals(Optional.of(spec), reader.find("acme", FunctionName.of("greet")));

            server.stop();
            nanos.addAndGet(TimeUnit.SECONDS.toNanos(60));

            assertEquals(Optional.of(spec), reader.find("acme", FunctionName.of("greet")));
            var e = assertThrows(StorageFailure.class, () -> reader.find("acme", FunctionName.of("other")));
            assertTrue(e.getMessage().startsWith("shared store: "), e.getMessage());
        }
    }
}
