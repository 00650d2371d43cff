package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiered execution and the compiled cache: deploys and starts never wait for a compile beyond the budget, modules
 * run on the interpreter until compiled code is ready (with the same results and fuel), and a restart loads
 * compiled classes from {@code <dataDir>/compiled} instead of compiling.
 */
class TieredCompileTest {
    private static final long WAIT_SECONDS = 60;

    @TempDir
    Path dataDir;

    private LocalScheduler scheduler;

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private LocalScheduler open(long budgetMillis, ModuleCompiler compiler) {
        if (scheduler != null) {
            scheduler.close();
        }
        var settings = new SchedulerSettings(1, 1, 8, 64 << 10, 4 << 10, 2L << 20).withCompileBudgetMillis(budgetMillis);
        scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH), compiler);
        return scheduler;
    }

    private FunctionRegistry.Deployment deploy(String fixture) {
        return scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of(fixture),
                TestModules.load(fixture), 16, 60_000, 1 << 20, 1_000_000));
    }

    private InvocationResult invoke(FunctionSpec spec, String stdin) {
        return scheduler.dispatcher().invoke(spec, new InvocationRequest(stdin.getBytes(UTF_8), List.of(), Map.of()));
    }

    /** What the echo fixture wrote after its header. */
    private String echoed(FunctionSpec spec, String stdin) {
        String out = new String(invoke(spec, stdin).stdout(), UTF_8);
        return out.substring(out.indexOf("\n\n") + 2);
    }

    /** The function's module, loaded as its first call after a start would load it. */
    private CompiledModule module(FunctionSpec spec) {
        return scheduler.module(spec).orElseThrow();
    }

    private static boolean tieredUp(CompiledModule module) throws Exception {
        return module.compiled().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void restartLoadsCompiledModulesFromDiskWithoutCompiling() throws Exception {
        open(60_000, ModuleCompiler.chicory());
        FunctionSpec spec = deploy("echo").spec();
        assertTrue(module(spec).isCompiled());
        assertEquals(1, scheduler.modules().compiles());
        assertEquals(1, scheduler.modules().disk().writes());

        open(60_000, ModuleCompiler.chicory());
        assertTrue(tieredUp(module(spec)), "the first call queued the load");
        assertEquals(0, scheduler.modules().compiles());
        assertEquals(1, scheduler.modules().disk().hits());
        assertEquals("hi", echoed(spec, "hi"));
    }

    @Test
    void corruptCompiledEntryIsCompiledAgainAndDoesNotFailTheStart() throws Exception {
        open(60_000, ModuleCompiler.chicory());
        FunctionSpec spec = deploy("echo").spec();
        Path entry = compiledEntries().getFirst();
        byte[] bytes = Files.readAllBytes(entry);
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(entry, bytes);

        open(60_000, ModuleCompiler.chicory());
        assertTrue(tieredUp(module(spec)));
        assertEquals(1, scheduler.modules().disk().corrupt());
        assertEquals(1, scheduler.modules().compiles());
        assertEquals("hi", echoed(spec, "hi"));

        open(60_000, ModuleCompiler.chicory());
        assertEquals(0, scheduler.modules().compiles(), "the recompiled module was written back");
    }

    @Test
    void truncatedCompiledEntryIsCompiledAgain() throws Exception {
        open(60_000, ModuleCompiler.chicory());
        FunctionSpec spec = deploy("echo").spec();
        Path entry = compiledEntries().getFirst();
        Files.write(entry, new byte[] {1, 2, 3});

        open(60_000, ModuleCompiler.chicory());
        assertTrue(tieredUp(module(spec)));
        assertEquals(1, scheduler.modules().compiles());
    }

    @Test
    void deployWhoseCompileOutlastsTheBudgetAnswersAndRunsOnTheInterpreterThenTiersUp() throws Exception {
        var gate = new GatedCompiler();
        open(1, gate);
        FunctionRegistry.Deployment deployment = deploy("echo");
        assertFalse(deployment.compiled());
        CompiledModule module = module(deployment.spec());
        assertFalse(module.isCompiled());
        assertEquals(java.util.Optional.of(false), scheduler.functions().compiled(deployment.spec()));
        assertEquals("on the interpreter", echoed(deployment.spec(), "on the interpreter"));

        gate.open.countDown();
        assertTrue(tieredUp(module));
        assertTrue(module.isCompiled());
        assertEquals(java.util.Optional.of(true), scheduler.functions().compiled(deployment.spec()));
        assertEquals("compiled", echoed(deployment.spec(), "compiled"));
    }

    @Test
    void deployWithinTheBudgetReportsItIsCompiled() {
        open(60_000, ModuleCompiler.chicory());
        assertTrue(deploy("echo").compiled());
    }

    @Test
    void fuelIsTheSameOnTheInterpreterAndCompiled() throws Exception {
        var gate = new GatedCompiler();
        open(0, gate);
        FunctionSpec write = deploy("fuel-write-loop").spec();
        FunctionSpec loop = deploy("fuel-loop").spec();
        InvocationResult writeInterpreted = invoke(write, "");
        InvocationResult loopInterpreted = invoke(loop, "");
        assertFalse(module(write).isCompiled());

        gate.open.countDown();
        assertTrue(tieredUp(module(write)));
        assertTrue(tieredUp(module(loop)));
        InvocationResult writeCompiled = invoke(write, "");
        assertEquals(605, writeInterpreted.fuelUsed());
        assertEquals(605, writeCompiled.fuelUsed());
        assertArrayEquals(writeInterpreted.stdout(), writeCompiled.stdout());
        assertEquals(102, loopInterpreted.fuelUsed());
        assertEquals(102, invoke(loop, "").fuelUsed());
    }

    @Test
    void moduleThatCannotBeCompiledStaysOnTheInterpreter() throws Exception {
        open(60_000, (module, cache) -> {
            throw new IllegalStateException("method too large");
        });
        FunctionRegistry.Deployment deployment = deploy("echo");
        assertFalse(deployment.compiled());
        assertFalse(tieredUp(module(deployment.spec())));
        assertEquals("still runs", echoed(deployment.spec(), "still runs"));
    }

    @Test
    void startDoesNotWaitForCompilesBeyondItsBudget() throws Exception {
        open(60_000, ModuleCompiler.chicory());
        FunctionSpec spec = deploy("echo").spec();
        try (Stream<Path> files = Files.walk(dataDir.resolve("compiled"))) {
            files.filter(Files::isRegularFile).forEach(f -> f.toFile().delete());
        }

        var gate = new GatedCompiler();
        open(1, gate);
        assertFalse(module(spec).isCompiled());
        assertEquals("interpreted", echoed(spec, "interpreted"));
        gate.open.countDown();
        assertTrue(tieredUp(module(spec)));
        assertEquals(1, gate.calls.get());
    }

    @Test
    void deletedFunctionsLeaveNoCompiledEntriesBehind() throws Exception {
        open(60_000, ModuleCompiler.chicory());
        deploy("echo");
        assertEquals(1, compiledEntries().size());
        scheduler.functions().delete("acme", FunctionName.of("echo"));
        assertEquals(List.of(), compiledEntries());
    }

    @Test
    void compiledEntriesOfAnotherChicoryOrInstrumenterVersionAreSweptAtStart() throws Exception {
        Path stale = dataDir.resolve("compiled/chicory-0.0.1+fuel-0/sha256-00.jar");
        Files.createDirectories(stale.getParent());
        Files.write(stale, new byte[] {1});
        open(60_000, ModuleCompiler.chicory());
        scheduler.awaitSweep();
        assertFalse(Files.exists(stale.getParent()));
    }

    private List<Path> compiledEntries() throws IOException {
        try (Stream<Path> files = Files.walk(dataDir.resolve("compiled"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar")).toList();
        }
    }

    /** Chicory's compiler, held back until the test opens the gate: a compile that takes as long as the test says. */
    private static final class GatedCompiler implements ModuleCompiler {
        final CountDownLatch open = new CountDownLatch(1);
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public java.util.function.Function<com.dylibso.chicory.runtime.Instance, com.dylibso.chicory.runtime.Machine>
                compile(com.dylibso.chicory.wasm.WasmModule module, com.dylibso.chicory.compiler.Cache cache) {
            calls.incrementAndGet();
            try {
                if (!open.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never opened the gate");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            return ModuleCompiler.chicory().compile(module, cache);
        }
    }
}
