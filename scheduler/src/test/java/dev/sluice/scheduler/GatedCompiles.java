package dev.sluice.scheduler;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * For tests in other modules (the gateway's): a {@link LocalScheduler} whose compiles start only when the test opens
 * a gate, so "deployed, still interpreted" and "compiled" are states a test reaches on purpose, not by timing.
 */
public final class GatedCompiles {
    private GatedCompiles() {}

    /** The in-process scheduler ({@code serve}'s) whose every compile waits for {@code gate} to open first. */
    public static LocalScheduler open(SchedulerSettings settings, Path dataDir, InstantSource clock,
                                      CountDownLatch gate) {
        ModuleCompiler chicory = ModuleCompiler.chicory();
        return LocalScheduler.open(settings, dataDir, clock, (module, cache) -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted before compiling", e);
            }
            return chicory.compile(module, cache);
        });
    }

    /** Waits, at most {@code timeout}, until the module of {@code digest} has tiered up (or stayed interpreted). */
    public static boolean awaitTierUp(LocalScheduler scheduler, String digest, Duration timeout) throws Exception {
        CompiledModule module = scheduler.modules().find(digest)
                .orElseThrow(() -> new AssertionError("module " + digest + " is not held"));
        try {
            return module.compiled().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new AssertionError("module " + digest + " did not finish compiling within " + timeout, e);
        }
    }
}
