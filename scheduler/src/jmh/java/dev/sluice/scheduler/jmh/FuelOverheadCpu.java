package dev.sluice.scheduler.jmh;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.sluice.scheduler.fuel.FuelInstrumenter;
import dev.sluice.scheduler.fuel.FuelMeter;
import dev.sluice.scheduler.fuel.MeteredCompiler;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * {@link FuelOverheadBenchmark}'s workloads and modes measured in <em>CPU time</em> of the measuring thread
 * (ThreadMXBean), alternating compiled and compiled-metered in each round, median of 15 rounds of 300 calls after
 * 3 000 warm-up calls of each: on a loaded machine wall-clock JMH scores swing by several times, CPU time much
 * less. Run with the class path {@code scheduler/bench} builds, e.g.
 * {@code scheduler/bench -l >/dev/null; java -cp "scheduler/target/test-classes:scheduler/target/classes:$(cat cp)"
 * dev.sluice.scheduler.jmh.FuelOverheadCpu} where {@code cp} holds {@code ./mvnw -q -pl scheduler
 * dependency:build-classpath -Dmdep.outputFile=cp -Dmdep.includeScope=test}.
 */
public final class FuelOverheadCpu {
    private FuelOverheadCpu() {}

    private static ExportFunction export(String workload, boolean metered) {
        byte[] original = FuelOverheadBenchmark.resource("/jmh/" + workload + ".wasm");
        if (!metered) {
            WasmModule module = Parser.parse(original);
            return Instance.builder(module).withMachineFactory(MachineFactoryCompiler.compile(module)).build()
                    .export("run");
        }
        FuelInstrumenter.Instrumented instrumented = FuelInstrumenter.instrument(original);
        WasmModule module = Parser.parse(instrumented.bytes());
        return Instance.builder(module)
                .withGlobalFactory(FuelMeter.create(Long.MAX_VALUE, instrumented.definedFuelGlobal()))
                .withMachineFactory(MeteredCompiler.builder(module).compile()).build().export("run");
    }

    public static void main(String[] args) {
        var threads = ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (String workload : new String[] {"fib", "loop", "memory"}) {
            long arg = switch (workload) {
                case "fib" -> FuelOverheadBenchmark.FIB_N;
                case "loop" -> FuelOverheadBenchmark.LOOP_N;
                default -> FuelOverheadBenchmark.MEMORY_N;
            };
            ExportFunction plain = export(workload, false);
            ExportFunction metered = export(workload, true);
            for (int i = 0; i < 3_000; i++) {
                sink += plain.apply(arg)[0] + metered.apply(arg)[0];
            }
            int rounds = 15;
            int calls = 300;
            double[] p = new double[rounds];
            double[] m = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t0 = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < calls; i++) {
                    sink += plain.apply(arg)[0];
                }
                long t1 = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < calls; i++) {
                    sink += metered.apply(arg)[0];
                }
                long t2 = threads.getCurrentThreadCpuTime();
                p[r] = (t1 - t0) / 1e3 / calls;
                m[r] = (t2 - t1) / 1e3 / calls;
            }
            Arrays.sort(p);
            Arrays.sort(m);
            System.out.printf("%-7s compiled %8.1f µs CPU  compiled-metered %8.1f µs CPU  ratio %.2f%n", workload,
                    p[rounds / 2], m[rounds / 2], m[rounds / 2] / p[rounds / 2]);
        }
        System.out.println(sink == 42 ? "" : "(sink " + (sink & 1) + ")");
    }
}
