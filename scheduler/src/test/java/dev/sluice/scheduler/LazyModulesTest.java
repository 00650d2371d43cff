package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.testing.TestModules;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: the start reads the function index only, and each module is loaded at its function's first call, from
 * the instrumented cache written at deploy (one parse) or, when that entry is missing, damaged or of another
 * version, by validating the stored module again. Counted through the registry's load counters and a counting
 * compiler, never through timing.
 */
class LazyModulesTest {
    private static final SchedulerSettings SETTINGS = new SchedulerSettings(2, 2, 16, 64 << 10, 4 << 10, 2L << 20);
    private static final byte[] HELLO = TestModules.load("hello");

    @TempDir
    Path dataDir;

    private final AtomicInteger compilerCalls = new AtomicInteger();
    private LocalScheduler scheduler;

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private LocalScheduler open() {
        if (scheduler != null) {
            scheduler.close();
        }
        ModuleCompiler chicory = ModuleCompiler.chicory();
        scheduler = LocalScheduler.open(SETTINGS, dataDir, InstantSource.fixed(Instant.EPOCH), (module, cache) -> {
            compilerCalls.incrementAndGet();
            return chicory.compile(module, cache);
        });
        compilerCalls.set(0);
        return scheduler;
    }

    private DiskFunctionRegistry registry() {
        return (DiskFunctionRegistry) scheduler.functions();
    }

    /** {@code hello} with a custom section naming {@code n}: the same program under a digest of its own. */
    private static byte[] hello(int n) {
        byte[] name = ("lazy-" + n).getBytes(UTF_8);
        var out = new ByteArrayOutputStream();
        out.writeBytes(HELLO);
        out.write(0); // custom section
        out.write(name.length + 1); // size (small: one LEB byte)
        out.write(name.length);
        out.writeBytes(name);
        return out.toByteArray();
    }

    private FunctionSpec deploy(String name, byte[] module) {
        return scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of(name), module, 16, 60_000,
                1 << 20, 1_000_000)).spec();
    }

    private String call(FunctionSpec spec) {
        InvocationResult result = scheduler.dispatcher().invoke(spec,
                new InvocationRequest(new byte[0], List.of(), Map.of()));
        assertEquals(0, result.exitCode(), () -> new String(result.stderr(), UTF_8));
        return new String(result.stdout(), UTF_8);
    }

    private Path entry(FunctionSpec spec) {
        return registry().instrumented().file(spec.digest()).orElseThrow();
    }

    private List<FunctionSpec> deployMany(int count) {
        open();
        List<FunctionSpec> specs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            specs.add(deploy("f" + i, hello(i)));
        }
        return specs;
    }

    @Test
    void restartWithManyFunctionsIsReadyWithoutLoadingAnyAndTheFirstCallLoadsOneFromTheCache() {
        List<FunctionSpec> specs = deployMany(40);
        specs.forEach(spec -> assertTrue(Files.isRegularFile(entry(spec)), "the deploy cached " + spec.name()));

        open();
        assertEquals(40, scheduler.functions().list("acme").size());
        assertEquals(0, registry().validations(), "nothing validated at start");
        assertEquals(0, registry().cacheLoads(), "nothing parsed at start");
        specs.forEach(spec -> assertTrue(scheduler.modules().find(spec.digest()).isEmpty(), "not loaded"));
        assertEquals(0, compilerCalls.get(), "nothing compiled or loaded from the compiled cache at start");

        assertTrue(call(specs.get(7)).contains("hello"));
        assertEquals(1, registry().cacheLoads(), "the first call parsed its module from the cache");
        assertEquals(0, registry().validations());
        assertTrue(scheduler.modules().find(specs.get(7).digest()).isPresent());
        assertTrue(scheduler.modules().find(specs.get(8).digest()).isEmpty(), "only what was called");

        assertTrue(call(specs.get(7)).contains("hello"));
        assertEquals(1, registry().cacheLoads(), "loaded once");
    }

    @Test
    void corruptTruncatedOrForeignCacheEntriesFallBackToValidatingTheStoredModule() throws Exception {
        List<FunctionSpec> specs = deployMany(3);
        byte[] intact = Files.readAllBytes(entry(specs.get(0)));
        var third = InstrumentedCache.decode(Files.readAllBytes(entry(specs.get(2))));
        byte[] flipped = intact.clone();
        flipped[flipped.length / 2] ^= 0x5A;
        Files.write(entry(specs.get(0)), flipped);
        Files.write(entry(specs.get(1)), java.util.Arrays.copyOf(intact, intact.length / 3));
        // Intact and checksummed, but the bytes are not the module the entry names: a bug, not a damaged file, and
        // still never run.
        Files.write(entry(specs.get(2)), InstrumentedCache.encode(new InstrumentedCache.Entry(specs.get(2).digest(),
                "sha256:not-this-module", third.initialPages(), third.maximumPages(), third.definedFuelGlobal(),
                third.instrumented())));

        open();
        for (FunctionSpec spec : specs) {
            assertTrue(call(spec).contains("hello"), spec.name().value());
        }
        assertEquals(3, registry().validations(), "each damaged entry meant validating again");
        assertEquals(0, registry().cacheLoads());

        open();
        specs.forEach(this::call);
        assertEquals(0, registry().validations(), "the entries were written again");
        assertEquals(3, registry().cacheLoads());
    }

    @Test
    void entriesOfAnotherVersionAreNotReadAndAreSweptAfterTheStart() throws Exception {
        List<FunctionSpec> specs = deployMany(2);
        Path current = entry(specs.get(0)).getParent();
        Path older = current.resolveSibling("fuel-0+rules-0+chicory-0.0.1");
        Files.move(current, older);

        open();
        scheduler.awaitSweep();
        assertFalse(Files.exists(older), "another version's entries are swept");
        assertTrue(call(specs.get(0)).contains("hello"));
        assertEquals(1, registry().validations(), "validated under this version's rules");
        assertTrue(Files.isRegularFile(entry(specs.get(0))), "and cached under this version");
    }

    @Test
    void concurrentFirstCallsOfOneFunctionLoadItOnce() throws Exception {
        List<FunctionSpec> specs = deployMany(1);
        Files.delete(entry(specs.get(0))); // the slow path: validating, so the calls overlap the load
        open();
        int callers = 8;
        var start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<Future<String>> outputs = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                outputs.add(pool.submit(() -> {
                    start.await();
                    return call(specs.get(0));
                }));
            }
            start.countDown();
            for (Future<String> output : outputs) {
                assertTrue(output.get(60, TimeUnit.SECONDS).contains("hello"));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, registry().validations() + registry().cacheLoads(), "one load for all");
    }

    @Test
    void deletingTheLastFunctionOfAModuleDeletesItsCachedFormAndTheSweepRemovesStrays() throws Exception {
        List<FunctionSpec> specs = deployMany(2);
        Path first = entry(specs.get(0));
        assertTrue(scheduler.functions().delete("acme", FunctionName.of("f0")));
        assertFalse(Files.exists(first), "deleted with the module");

        // Left by a crash between writing the index and deleting the files.
        String strayDigest = Digests.sha256(hello(99));
        Path strayModule = dataDir.resolve("modules/" + Digests.hex(strayDigest) + ".wasm");
        Files.write(strayModule, hello(99));
        Path strayEntry = registry().instrumented().file(strayDigest).orElseThrow();
        Files.write(strayEntry, new byte[] {1, 2, 3});

        open();
        scheduler.awaitSweep();
        assertFalse(Files.exists(strayModule));
        assertFalse(Files.exists(strayEntry));
        assertTrue(Files.isRegularFile(entry(specs.get(1))), "the entry in use stays");
        assertTrue(call(specs.get(1)).contains("hello"));
        assertEquals(1, registry().cacheLoads());
    }

    @Test
    void aFunctionDeletedBeforeItsFirstCallIsNoLongerDeployed() {
        List<FunctionSpec> specs = deployMany(1);
        open();
        assertTrue(scheduler.functions().delete("acme", FunctionName.of("f0")));
        assertTrue(scheduler.module(specs.get(0)).isEmpty());
        assertEquals(0, registry().validations() + registry().cacheLoads());
    }

    @Test
    void theWarmUpModuleIsAValidCommand() {
        open();
        registry().warmUp(); // throws ModuleRejected if the bytes were not a module the validator accepts
        assertEquals(0, registry().validations() + registry().cacheLoads(), "not counted as a stored module");
    }
}
