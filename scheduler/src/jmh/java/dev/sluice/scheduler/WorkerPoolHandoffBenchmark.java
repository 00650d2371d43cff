package dev.sluice.scheduler;

import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The whole in-process dispatch of a call as the gateway makes it: callers on virtual threads invoke the compiled
 * {@code hello} fixture through a real {@link WorkerPool} (4 workers), so one op is hand-off to a platform worker,
 * timeout bookkeeping, {@link Sandbox#run} and the hand-back. JMH's wall time is meaningless on a shared machine, so
 * every iteration also prints what load distorts little: <b>process CPU µs per call</b> (all threads: carriers,
 * workers, watchdog, GC, JIT) and <b>context switches per call</b> (summed over {@code /proc/self/task/*}); add
 * {@code -prof gc} for bytes per call. Run with
 * {@code scheduler/bench -f 1 -wi 4 -i 6 -w 2s -r 2s -prof gc WorkerPoolHandoff}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class WorkerPoolHandoffBenchmark {
    private static final int CALLERS = 16;
    private static final int CALLS_PER_CALLER = 64;
    private static final int CALLS = CALLERS * CALLS_PER_CALLER;

    @Param({"4"})
    public int workers;

    private WorkerPool pool;
    private FunctionSpec function;
    private InvocationRequest request;
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private long cpu0;
    private long switches0;
    private long calls;

    @Setup(Level.Trial)
    public void setUp() {
        var settings = new SchedulerSettings(workers, CALLERS, CALLERS, 64 << 10, 4 << 10, 2L << 20);
        ModuleValidator.Checked checked = new ModuleValidator(WasiImports.create()).check(TestModules.load("hello"));
        var module = new CompiledModule("sha256:bench", checked.module(), checked.initialPages(),
                checked.maximumPages(), checked.definedFuelGlobal());
        module.tierUp(ModuleCompiler.chicory().compile(checked.module(), null));
        function = new FunctionSpec("bench", FunctionName.of("hello"), "sha256:bench", 1, 16, 5_000,
                Instant.EPOCH, 1_000_000_000L);
        request = new InvocationRequest("body".getBytes(), List.of(), Map.of("QUERY_STRING", "name=ada"));
        pool = new WorkerPool(settings, digest -> Optional.of(module));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdown(1_000);
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        cpu0 = os.getProcessCpuTime();
        switches0 = contextSwitches();
        calls = 0;
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e3 / calls;
        double switches = (double) (contextSwitches() - switches0) / calls;
        System.out.printf("%n  [handoff] %.2f µs process CPU per call, %.2f context switches per call, %d calls, "
                + "load average %.1f%n", cpu, switches, calls, os.getSystemLoadAverage());
    }

    @Benchmark
    @OperationsPerInvocation(CALLS)
    public void invoke16VirtualCallers() throws InterruptedException {
        List<Thread> callers = new ArrayList<>(CALLERS);
        for (int c = 0; c < CALLERS; c++) {
            callers.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < CALLS_PER_CALLER; i++) {
                    pool.invoke(function, request, InvocationObserver.NONE);
                }
            }));
        }
        for (Thread caller : callers) {
            caller.join();
        }
        calls += CALLS;
    }

    /** Voluntary + involuntary context switches of every thread of this process so far. */
    private static long contextSwitches() {
        long total = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")
                                || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            total += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return total;
    }
}
