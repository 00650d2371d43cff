package dev.sluice.scheduler;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.function.Function;

/**
 * A validated, fuel-instrumented module and its compiled machine factory. Immutable and shared by every invocation of every function
 * with this digest; each invocation still builds its own {@link Instance}, since instances are not thread-safe.
 *
 * @param digest         {@code sha256:<hex>}
 * @param initialPages   declared initial memory (0 when the module has none)
 * @param maximumPages   declared maximum memory, or {@link com.dylibso.chicory.wasm.types.MemoryLimits#MAX_PAGES}
 * @param definedFuelGlobal where the fuel counter is among the instrumented module's own globals
 */
record CompiledModule(String digest, WasmModule module, Function<Instance, Machine> machineFactory,
                      int initialPages, int maximumPages, int definedFuelGlobal) {}
