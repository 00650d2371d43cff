package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file-backed gateway ({@link LocalScheduler#openWithoutWorkers}) runs no guests, so its registry validates and
 * stores modules but compiles none: no compile threads, no compiler call, nothing under {@code <dataDir>/compiled},
 * neither on deploy nor when it restarts over stored functions.
 */
class GatewayRegistryCompilesNothingTest {
    @TempDir
    Path dataDir;

    /** A generous budget: a gateway must not wait for (or start) compiles whatever the settings say. */
    private static final SchedulerSettings SETTINGS = new SchedulerSettings(1, 1, 8, 64 << 10, 4 << 10, 2L << 20)
            .withCompileBudgetMillis(5_000);

    @Test
    void gatewayRegistryDeployStoresTheModuleButNeverCompilesIt() throws Exception {
        AtomicInteger compilerCalls = new AtomicInteger();
        ModuleCompiler counting = (module, cache) -> {
            compilerCalls.incrementAndGet();
            return ModuleCompiler.chicory().compile(module, cache);
        };
        Set<Thread> before = compileThreads();
        try (LocalScheduler gateway = LocalScheduler.openWithoutWorkers(SETTINGS, dataDir,
                InstantSource.fixed(Instant.EPOCH), counting)) {
            assertNoNewCompileThreads(before, "a gateway starts no compile threads");
            FunctionRegistry.Deployment deployment = gateway.functions().deploy(new DeployRequest("acme",
                    FunctionName.of("echo"), TestModules.load("echo"), 16, 60_000, 1 << 20, 1_000_000));
            assertFalse(deployment.compiled(), "nothing is compiled on a gateway");
            assertEquals(java.util.Optional.empty(), gateway.functions().compiled(deployment.spec()),
                    "a gateway cannot know whether its workers run the module compiled");
            assertTrue(storedModules() > 0, "the module is stored for the workers");
            // Compiles only ever run on compile threads, and there are none: nothing can be compiled later either.
            assertEquals(0, compilerCalls.get(), "the compiler was never called");
            assertEquals(0, gateway.modules().compiles(), "compile count");
            assertFalse(hasCompiledEntries(), "no compiled entry under <dataDir>/compiled");
            assertNoNewCompileThreads(before, "still no compile threads");
        }
        // A restart over the stored function loads it without compiling either.
        try (LocalScheduler gateway = LocalScheduler.openWithoutWorkers(SETTINGS, dataDir,
                InstantSource.fixed(Instant.EPOCH), counting)) {
            assertEquals(1, gateway.functions().list("acme").size());
            assertEquals(0, compilerCalls.get(), "a restarted gateway compiles nothing");
            assertFalse(hasCompiledEntries(), "no compiled entry after a restart");
            assertNoNewCompileThreads(before, "no compile threads after a restart");
        }
    }

    private long storedModules() throws Exception {
        Path modules = dataDir.resolve("modules");
        if (!Files.isDirectory(modules)) {
            return 0;
        }
        try (var files = Files.walk(modules)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    private boolean hasCompiledEntries() throws Exception {
        Path compiled = dataDir.resolve("compiled");
        if (!Files.exists(compiled)) {
            return false;
        }
        try (var files = Files.walk(compiled)) {
            return files.anyMatch(Files::isRegularFile);
        }
    }

    /** Compile threads alive now (other tests' schedulers in this JVM may have theirs). */
    private static Set<Thread> compileThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("sluice-compile-"))
                .collect(Collectors.toSet());
    }

    private static void assertNoNewCompileThreads(Set<Thread> before, String message) {
        Set<Thread> now = compileThreads();
        now.removeAll(before);
        assertEquals(Set.of(), now, message);
    }
}
