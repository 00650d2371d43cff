package dev.sluice.scheduler;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.sluice.scheduler.fuel.FuelInstrumenter;
import dev.sluice.scheduler.fuel.FuelMeter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
 * Chicory's two memory implementations for Sluice's use (issue 12, A3): {@code create} is what each invocation
 * pays for its memory ({@code pages} initial pages: 2 for the C {@code hello}, 17 for a Rust command), and
 * {@code workload} runs the metered, compiled memory-heavy workload of {@code FuelOverheadBenchmark} on it, so a
 * cheaper allocation cannot hide slower loads and stores.
 *
 * <p>Run with {@code scheduler/bench -prof gc Memory}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MemoryBenchmark {
    @Param({"byte-buffer", "byte-array"})
    public String impl;

    @Param({"2", "17"})
    public int pages;

    private Function<MemoryLimits, Memory> factory;
    private MemoryLimits limits;
    private ExportFunction workload;

    @Setup(Level.Trial)
    public void setUp() {
        factory = switch (impl) {
            case "byte-buffer" -> ByteBufferMemory::new;
            case "byte-array" -> ByteArrayMemory::new;
            default -> throw new IllegalArgumentException("impl: " + impl);
        };
        limits = new MemoryLimits(pages, 256);
        FuelInstrumenter.Instrumented metered = FuelInstrumenter.instrument(resource("/jmh/memory.wasm"));
        WasmModule module = Parser.parse(metered.bytes());
        workload = Instance.builder(module)
                .withGlobalFactory(FuelMeter.create(Long.MAX_VALUE, metered.definedFuelGlobal()))
                .withMachineFactory(MachineFactoryCompiler.compile(module))
                .withMemoryFactory(factory)
                .build()
                .export("run");
    }

    @Benchmark
    public Memory create() {
        return factory.apply(limits);
    }

    @Benchmark
    public long workload() {
        return workload.apply(65_536)[0];
    }

    private static byte[] resource(String name) {
        try (InputStream in = MemoryBenchmark.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
