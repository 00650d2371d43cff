package dev.sluice.scheduler.fuel;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.WasmModule;

/**
 * How a module {@link FuelInstrumenter} wrote is compiled, in one place for the scheduler, the tests and the
 * benchmarks: functions whose frames are too large for a JVM frame stay on the interpreter
 * ({@link FuelInstrumenter#interpretedFunctions}), and the fuel counter is kept in a JVM local of every compiled
 * function (a <em>register global</em> of Sluice's fork of Chicory's compiler, {@code chicory-compiler/}). Every
 * basic block reads and writes the counter, and Chicory otherwise compiles each access to a chain of loads
 * through the instance, which made metered code up to 2.2x slower. The local is stored back to the global before
 * every call and return and whenever an exception leaves the function, so the global is exact whenever anything
 * else can see it: fuel stays identical between the interpreter and compiled code (see docs/fuel.md).
 */
public final class MeteredCompiler {
    private MeteredCompiler() {}

    /** A compiler for {@code instrumented}, ready for more options (a cache) or {@code compile()}. */
    public static MachineFactoryCompiler.Builder builder(WasmModule instrumented) {
        var builder = MachineFactoryCompiler.builder(instrumented)
                .withInterpretedFunctions(FuelInstrumenter.interpretedFunctions(instrumented));
        FuelInstrumenter.fuelGlobal(instrumented).ifPresent(builder::withRegisterGlobal);
        return builder;
    }
}
