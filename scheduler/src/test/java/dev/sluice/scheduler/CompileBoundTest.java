package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import dev.sluice.scheduler.testing.WasmBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compile work is bounded: a module replaced before its compile starts is never compiled, one replaced while
 * compiling is not kept, {@code <dataDir>/compiled} holds entries only for modules some function uses (after a
 * replace, a delete and a restart), and the compile queue serves tenants in turn rather than in arrival order.
 */
class CompileBoundTest {
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

    private LocalScheduler open(ModuleCompiler compiler) {
        // One compile thread, a deploy never waits for its compile: the order of compiles is the queue's.
        return open(compiler, 1);
    }

    private LocalScheduler open(ModuleCompiler compiler, int compileThreads) {
        if (scheduler != null) {
            scheduler.close();
        }
        var settings = new SchedulerSettings(1, 1, 8, 64 << 10, 4 << 10, 2L << 20, 0, compileThreads, 0);
        scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH), compiler);
        return scheduler;
    }

    /** A distinct, valid command for each {@code version}: its {@code _start} is that many {@code nop}s. */
    private static byte[] version(int version) {
        byte[] body = WasmBinary.bytes(0x00, WasmBinary.repeat(new byte[] {0x01}, version), 0x0b);
        return WasmBinary.command(body).build();
    }

    private FunctionSpec deploy(String tenant, String name, byte[] module) {
        return scheduler.functions().deploy(new DeployRequest(tenant, FunctionName.of(name), module, 16, 60_000,
                1 << 20, 1_000_000)).spec();
    }

    /** The function's module, loaded as its first call after a start would load it. */
    private CompiledModule module(FunctionSpec spec) {
        return scheduler.module(spec).orElseThrow();
    }

    /** Chicory's key of the compiled entry of {@code spec}'s module. */
    private String compiledKey(FunctionSpec spec) {
        return module(spec).module().digest();
    }

    private Set<Path> compiledEntries() throws IOException {
        Path compiled = dataDir.resolve("compiled");
        if (!Files.isDirectory(compiled)) {
            return Set.of();
        }
        try (Stream<Path> files = Files.walk(compiled)) {
            return files.filter(Files::isRegularFile).collect(Collectors.toSet());
        }
    }

    /** The entries that should exist: one per module some function uses. */
    private Set<Path> referencedEntries(FunctionSpec... live) {
        return Stream.of(live).map(s -> scheduler.modules().disk().file(compiledKey(s)).orElseThrow())
                .collect(Collectors.toSet());
    }

    private void awaitCompiled(FunctionSpec spec) throws Exception {
        assertTrue(module(spec).compiled().get(WAIT_SECONDS, TimeUnit.SECONDS), "compiled: " + spec.name());
    }

    @Test
    void rapidRedeploysCompileOnlyTheRunningCompileAndTheFinalVersion() throws Exception {
        var gate = new GatedCompiler();
        open(gate);
        FunctionSpec last = deploy("acme", "fn", version(1));
        // The compile thread must hold version 1 before the redeploys come, or a loaded machine may wake it late.
        assertTrue(gate.started.await(WAIT_SECONDS, TimeUnit.SECONDS), "the first compile started");
        for (int v = 2; v <= 30; v++) {
            last = deploy("acme", "fn", version(v));
        }
        gate.open.countDown();
        awaitCompiled(last);

        // The first compile was already running when the redeploys came; versions 2..29 were superseded in the queue.
        assertEquals(2, gate.calls().size(), "compiles: " + gate.calls().size());
        assertEquals(compiledKey(last), gate.calls().getLast());
        assertEquals(2, scheduler.modules().compiles());
        assertEquals(28, scheduler.modules().superseded(), "versions 2..29 were dropped from the queue");
        assertTrue(module(last).isCompiled());
        assertEquals(0, scheduler.dispatcher().invoke(last, new InvocationRequest(new byte[0], List.of(), Map.of()))
                .exitCode());
        // The first version's compile finished after it was replaced: its entry was not kept.
        assertEquals(referencedEntries(last), compiledEntries());
    }

    @Test
    void compiledHoldsOnlyEntriesOfModulesInUseAfterReplaceDeleteAndRestart() throws Exception {
        open(ModuleCompiler.chicory());
        FunctionSpec a1 = deploy("acme", "a", version(1));
        FunctionSpec b = deploy("acme", "b", version(2));
        awaitCompiled(a1);
        awaitCompiled(b);
        assertEquals(referencedEntries(a1, b), compiledEntries());

        FunctionSpec a2 = deploy("acme", "a", version(3));
        awaitCompiled(a2);
        assertEquals(referencedEntries(a2, b), compiledEntries(), "after a replace");

        scheduler.functions().delete("acme", FunctionName.of("b"));
        assertEquals(referencedEntries(a2), compiledEntries(), "after a delete");

        Path stray = scheduler.modules().disk().file(compiledKey(a2)).orElseThrow()
                .resolveSibling("sha256-" + "ab".repeat(32) + ".jar");
        Files.write(stray, new byte[] {1, 2, 3});
        // Left by an earlier run: the sweep, running beside compiles, keeps whatever was written since it began.
        Files.setLastModifiedTime(stray, java.nio.file.attribute.FileTime.fromMillis(0));
        open(ModuleCompiler.chicory());
        awaitCompiled(a2);
        scheduler.awaitSweep();
        assertEquals(referencedEntries(a2), compiledEntries(), "after a restart with a stray entry");
        assertEquals(0, scheduler.modules().compiles(), "the entry in use was loaded, not compiled again");
    }

    @Test
    void moduleSharedWithAnotherFunctionKeepsItsEntryWhenOneIsReplaced() throws Exception {
        open(ModuleCompiler.chicory());
        FunctionSpec a = deploy("acme", "a", version(1));
        FunctionSpec b = deploy("acme", "b", version(1));
        awaitCompiled(a);
        FunctionSpec b2 = deploy("acme", "b", version(2));
        awaitCompiled(b2);
        assertEquals(referencedEntries(a, b2), compiledEntries());
        assertTrue(module(a).isCompiled());
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void compileQueueTakesTenantsInTurn() throws Exception {
        var gate = new GatedCompiler();
        open(gate);
        List<FunctionSpec> flood = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            flood.add(deploy("flood", "f" + i, version(i)));
        }
        assertTrue(gate.started.await(WAIT_SECONDS, TimeUnit.SECONDS));
        FunctionSpec other = deploy("other", "g", version(100));
        gate.open.countDown();
        for (FunctionSpec spec : flood) {
            awaitCompiled(spec);
        }
        awaitCompiled(other);

        // f1 was compiling when "other" deployed; the next turn is other's, not f2's.
        assertEquals(compiledKey(flood.getFirst()), gate.calls().get(0));
        assertEquals(compiledKey(other), gate.calls().get(1), "order: " + gate.calls());
        assertEquals(7, gate.calls().size());
    }

    @Test
    void deletedBeforeItsCompileStartsIsNeverCompiled() throws Exception {
        var gate = new GatedCompiler();
        open(gate);
        FunctionSpec first = deploy("acme", "first", version(1));
        assertTrue(gate.started.await(WAIT_SECONDS, TimeUnit.SECONDS));
        FunctionSpec doomed = deploy("acme", "doomed", version(2));
        String doomedKey = compiledKey(doomed);
        scheduler.functions().delete("acme", FunctionName.of("doomed"));
        FunctionSpec after = deploy("acme", "after", version(3));
        gate.open.countDown();
        awaitCompiled(after);

        assertFalse(gate.calls().contains(doomedKey), "compiled: " + gate.calls());
        assertEquals(referencedEntries(first, after), compiledEntries());
    }

    @Test
    void concurrentDeploysAndDeletesLeaveEntriesOnlyForModulesInUse() throws Exception {
        open(ModuleCompiler.chicory(), 2);
        List<String> tenants = List.of("acme", "initech");
        List<String> names = List.of("a", "b", "c");
        var threads = new ArrayList<Thread>();
        var failures = Collections.synchronizedList(new ArrayList<Throwable>());
        for (int t = 0; t < 4; t++) {
            var random = new java.util.Random(0x5EED + t);
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int op = 0; op < 40; op++) {
                        String tenant = tenants.get(random.nextInt(tenants.size()));
                        String name = names.get(random.nextInt(names.size()));
                        if (random.nextInt(4) == 0) {
                            scheduler.functions().delete(tenant, FunctionName.of(name));
                        } else {
                            deploy(tenant, name, version(1 + random.nextInt(6))); // digests shared across functions
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        }
        assertEquals(List.of(), failures);
        assertTrue(scheduler.modules().awaitIdle(TimeUnit.SECONDS.toMillis(WAIT_SECONDS)));

        FunctionSpec[] live = tenants.stream().flatMap(t -> scheduler.functions().list(t).stream())
                .toArray(FunctionSpec[]::new);
        for (FunctionSpec spec : live) {
            awaitCompiled(spec);
        }
        assertEquals(referencedEntries(live), compiledEntries());
        for (FunctionSpec spec : live) {
            assertEquals(0, scheduler.dispatcher().invoke(spec, new InvocationRequest(new byte[0], List.of(),
                    Map.of())).exitCode());
        }
    }

    @Test
    void moduleHeldByADeployInProgressKeepsItsCompiledEntryWhenTheLastFunctionUsingItGoes() throws Exception {
        byte[] bytes = version(7);
        String digest = Digests.sha256(bytes);
        ModuleValidator.Checked checked = new ModuleValidator(WasiImports.create()).check(bytes);
        CompiledCache disk = CompiledCache.open(dataDir);
        try (var cache = new ModuleCache(disk, ModuleCompiler.chicory(), 1, System::nanoTime)) {
            CompiledModule stored = cache.acquire("acme", digest, checked); // a function uses it
            assertTrue(stored.compiled().get(WAIT_SECONDS, TimeUnit.SECONDS));
            Path entry = disk.file(stored.module().digest()).orElseThrow();
            assertTrue(Files.isRegularFile(entry));

            CompiledModule deploying = cache.acquire("acme", digest, checked); // a deploy about to store it
            cache.release(digest); // the function is deleted meanwhile
            assertTrue(Files.isRegularFile(entry), "the deploy in progress still needs it");
            assertEquals(stored, deploying);
            assertEquals(Optional.of(stored), cache.find(digest));

            cache.release(digest); // the deploy failed after all
            assertFalse(Files.exists(entry));
            assertEquals(Optional.empty(), cache.find(digest));
        }
    }

    @Test
    void tenantRunsAtMostAllCompileThreadsButOne() throws Exception {
        var gate = new GatedCompiler(1); // only the first compile is held back
        open(gate, 2);
        FunctionSpec first = deploy("flood", "f1", version(1));
        assertTrue(gate.started.await(WAIT_SECONDS, TimeUnit.SECONDS));
        FunctionSpec second = deploy("flood", "f2", version(2));
        FunctionSpec other = deploy("other", "g", version(3));
        awaitCompiled(other);

        assertEquals(List.of(compiledKey(first), compiledKey(other)), gate.calls(),
                "the flooder's second compile waits for its first; the other tenant's does not");
        assertFalse(module(second).isCompiled());
        gate.open.countDown();
        awaitCompiled(second);
        awaitCompiled(first);
    }

    /** Chicory's compiler, held back until the test opens the gate; records what it was asked to compile. */
    private static final class GatedCompiler implements ModuleCompiler {
        final CountDownLatch open = new CountDownLatch(1);
        final CountDownLatch started = new CountDownLatch(1);
        private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        private final int held;

        GatedCompiler() {
            this(Integer.MAX_VALUE);
        }

        /** Holds back only the first {@code held} compiles. */
        GatedCompiler(int held) {
            this.held = held;
        }

        List<String> calls() {
            synchronized (calls) {
                return List.copyOf(calls);
            }
        }

        @Override
        public Function<Instance, Machine> compile(WasmModule module, Cache cache) {
            int call;
            synchronized (calls) {
                calls.add(module.digest());
                call = calls.size();
            }
            started.countDown();
            if (call > held) {
                return ModuleCompiler.chicory().compile(module, cache);
            }
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
