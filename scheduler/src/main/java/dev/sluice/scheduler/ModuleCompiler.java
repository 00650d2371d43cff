package dev.sluice.scheduler;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import dev.sluice.scheduler.fuel.FuelInstrumenter;
import dev.sluice.scheduler.fuel.MeteredCompiler;
import java.util.function.Function;

/**
 * Turns a module into a compiled machine factory, consulting {@code cache} first and filling it after compiling.
 * The seam exists so tests can stand in a compiler that takes as long as they say; production uses
 * {@link #chicory()}. Implementations must be thread-safe: the compile pool calls them concurrently.
 */
@FunctionalInterface
interface ModuleCompiler {
    Function<Instance, Machine> compile(WasmModule module, Cache cache);

    /**
     * Chicory's bytecode compiler with its defaults: a function too large for the JVM falls back to the
     * interpreter (with a warning) while the rest of the module is compiled. Functions whose frames are too large
     * to run safely as JVM frames are interpreted too ({@link FuelInstrumenter#interpretedFunctions}), and the fuel
     * counter lives in a JVM local of every compiled function ({@link MeteredCompiler}).
     */
    static ModuleCompiler chicory() {
        return (module, cache) -> MeteredCompiler.builder(module).withCache(cache).compile();
    }
}
