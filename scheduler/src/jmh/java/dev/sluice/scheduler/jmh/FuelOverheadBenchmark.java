package dev.sluice.scheduler.jmh;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.sluice.scheduler.fuel.FuelInstrumenter;
import dev.sluice.scheduler.fuel.FuelMeter;
import dev.sluice.scheduler.fuel.MeteredCompiler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What fuel metering costs: each workload ({@code src/jmh/resources/jmh/*.wat}) run compiled without
 * instrumentation (the baseline), compiled with it (what Sluice runs once a module is compiled) and on the
 * interpreter with it (what Sluice runs until then). Each call is one export call on an instance made once per
 * trial, so instantiation is not measured here (see {@code InstantiateBenchmark}).
 *
 * <p>Run with {@code scheduler/bench FuelOverhead}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FuelOverheadBenchmark {
    /** Iterations of the loop workloads, and fib's argument. */
    static final int LOOP_N = 100_000;
    static final int MEMORY_N = 65_536;
    static final int FIB_N = 20;

    @Param({"compiled", "compiled-metered", "interpreter-metered"})
    public String mode;

    private ExportFunction loop;
    private ExportFunction fib;
    private ExportFunction memory;

    @Setup(Level.Trial)
    public void setUp() {
        loop = export("loop");
        fib = export("fib");
        memory = export("memory");
    }

    private ExportFunction export(String workload) {
        byte[] original = resource("/jmh/" + workload + ".wasm");
        Instance instance = switch (mode) {
            case "compiled" -> {
                WasmModule module = Parser.parse(original);
                yield Instance.builder(module).withMachineFactory(MachineFactoryCompiler.compile(module)).build();
            }
            case "compiled-metered", "interpreter-metered" -> {
                FuelInstrumenter.Instrumented metered = FuelInstrumenter.instrument(original);
                WasmModule module = Parser.parse(metered.bytes());
                var builder = Instance.builder(module)
                        .withGlobalFactory(FuelMeter.create(Long.MAX_VALUE, metered.definedFuelGlobal()));
                if (mode.equals("compiled-metered")) {
                    // As the scheduler compiles it: the fuel counter kept in a JVM local.
                    builder.withMachineFactory(MeteredCompiler.builder(module).compile());
                }
                yield builder.build();
            }
            default -> throw new IllegalArgumentException("mode: " + mode);
        };
        return instance.export("run");
    }

    @Benchmark
    public long loop() {
        return loop.apply(LOOP_N)[0];
    }

    @Benchmark
    public long fib() {
        return fib.apply(FIB_N)[0];
    }

    @Benchmark
    public long memory() {
        return memory.apply(MEMORY_N)[0];
    }

    static byte[] resource(String name) {
        try (InputStream in = FuelOverheadBenchmark.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
