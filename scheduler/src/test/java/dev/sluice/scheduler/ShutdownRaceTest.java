package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.Overloaded;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A shutdown landing between an invocation's enqueue and the arming of its queue deadline (the submitting thread),
 * or between a worker starting a job and arming its run deadline (a worker). With per-call alarms this let the
 * watchdog's RejectedExecutionException escape invoke() unclassified; with deadlines the danger is a guest running
 * after the watchdog has ended. Both deadlines are read from the pool's clock at exactly those points, so the clock
 * here, on its first read from the chosen thread, lets a whole {@code shutdown(0)} run first: the race made
 * deterministic.
 */
class ShutdownRaceTest {
    private static final SchedulerSettings SETTINGS = new SchedulerSettings(1, 1, 8, 64 << 10, 4 << 10, 2L << 20);

    @ParameterizedTest
    @ValueSource(strings = {"submitter", "sluice-worker"})
    void aShutdownBeforeTheAlarmIsScheduledEndsTheInvocationClassified(String racer, @TempDir Path dataDir)
            throws Exception {
        try (var scheduler = LocalScheduler.open(SETTINGS, dataDir, InstantSource.fixed(Instant.EPOCH))) {
            FunctionSpec spec = scheduler.functions().deploy(new DeployRequest("tenant", FunctionName.of("hello"),
                    TestModules.load("hello"), 16, 10_000, 1 << 20, 1_000_000)).spec();
            CompiledModule module = scheduler.modules().find(spec.digest()).orElseThrow();
            var pool = new AtomicReference<WorkerPool>();
            var raced = new AtomicBoolean();
            LongSupplier clock = () -> {
                if (Thread.currentThread().getName().startsWith(racer) && raced.compareAndSet(false, true)) {
                    Thread shutdown = new Thread(() -> pool.get().shutdown(0), "shutdown");
                    shutdown.start();
                    joinUninterruptibly(shutdown); // a shutdown interrupts the worker it stops
                }
                return System.nanoTime();
            };
            pool.set(new WorkerPool(SETTINGS, digest -> Optional.of(module), clock));
            var thrown = new AtomicReference<Throwable>();
            var result = new AtomicReference<InvocationResult>();
            Thread submitter = new Thread(() -> {
                try {
                    result.set(pool.get().invoke(spec, new InvocationRequest(new byte[0], List.of(), Map.of())));
                } catch (Throwable t) {
                    thrown.set(t);
                }
            }, "submitter");
            submitter.start();
            submitter.join(30_000);
            assertFalse(submitter.isAlive(), "invoke returned");
            assertTrue(raced.get(), "the shutdown ran inside the race window");
            if (racer.equals("submitter")) {
                // The worker may have taken the job before the shutdown (then stopped by it, or done): any outcome
                // the pool classifies, never the watchdog's RejectedExecutionException (what escaped before), and
                // invoke() returns at all (a dropped job is completed, not left for a watchdog that has ended).
                assertTrue(thrown.get() == null ? result.get() != null : thrown.get() instanceof SchedulerException,
                        () -> "got " + thrown.get());
            } else {
                // Before: the worker's RejectedExecutionException became an ERROR log and a TRAP "internal error".
                // Now: the job was stopped before its deadline was armed, so the guest never starts.
                assertEquals(Overloaded.class, thrown.get() == null ? null : thrown.get().getClass(),
                        () -> "got " + thrown.get() + " / " + result.get());
            }
            pool.get().shutdown(0);
        }
    }

    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
