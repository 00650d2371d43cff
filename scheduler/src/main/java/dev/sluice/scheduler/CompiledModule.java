package dev.sluice.scheduler;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A validated, fuel-instrumented module and the machine factory that runs it. Shared by every invocation of every
 * function with this digest; each invocation still builds its own {@link Instance}, since instances are not
 * thread-safe.
 *
 * <p>Tiered: a module starts on Chicory's interpreter, so it can run the moment it is validated, while the
 * {@link ModuleCache} compiles it (or loads its compiled classes from disk) in the background; {@link #tierUp}
 * then swaps in the compiled machine factory, and invocations that start afterwards use it. Both run the same
 * instrumented module, so fuel is identical on either tier. A module whose compile fails stays interpreted.
 *
 * <p>Thread-safe: the machine factory is a volatile reference, written once by the compile task.
 */
final class CompiledModule {
    private static final Function<Instance, Machine> INTERPRETER = InterpreterMachine::new;

    private final String digest;
    private final WasmModule module;
    private final int initialPages;
    private final int maximumPages;
    private final int definedFuelGlobal;
    private final CompletableFuture<Boolean> compiled = new CompletableFuture<>();
    private volatile Function<Instance, Machine> machineFactory = INTERPRETER;

    /**
     * @param digest            {@code sha256:<hex>} of the module as uploaded (the function's identity)
     * @param module            the instrumented module, parsed
     * @param initialPages      declared initial memory (0 when the module has none)
     * @param maximumPages      declared maximum memory, or {@link com.dylibso.chicory.wasm.types.MemoryLimits#MAX_PAGES}
     * @param definedFuelGlobal where the fuel counter is among the instrumented module's own globals
     */
    CompiledModule(String digest, WasmModule module, int initialPages, int maximumPages, int definedFuelGlobal) {
        this.digest = Objects.requireNonNull(digest, "digest");
        this.module = Objects.requireNonNull(module, "module");
        this.initialPages = initialPages;
        this.maximumPages = maximumPages;
        this.definedFuelGlobal = definedFuelGlobal;
    }

    String digest() {
        return digest;
    }

    WasmModule module() {
        return module;
    }

    int initialPages() {
        return initialPages;
    }

    int maximumPages() {
        return maximumPages;
    }

    int definedFuelGlobal() {
        return definedFuelGlobal;
    }

    /** The factory for the next instance: the interpreter until the compiled form is ready. */
    Function<Instance, Machine> machineFactory() {
        return machineFactory;
    }

    /** Whether new instances run compiled code. */
    boolean isCompiled() {
        return machineFactory != INTERPRETER;
    }

    /**
     * Waits at most {@code millis} for the background compile to finish.
     *
     * @return whether the module is compiled now (false when the compile is still running or failed)
     */
    boolean awaitCompiled(long millis) {
        try {
            return compiled.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return isCompiled();
        } catch (ExecutionException e) {
            return false; // never completed exceptionally; kept for completeness
        }
    }

    /** Completes with whether the module got compiled, once the background compile has ended either way. */
    CompletableFuture<Boolean> compiled() {
        return compiled.copy();
    }

    /** Called once by the compile task: from now on new instances run {@code factory}. */
    void tierUp(Function<Instance, Machine> factory) {
        machineFactory = Objects.requireNonNull(factory, "factory");
        compiled.complete(true);
    }

    /** Called once by the compile task when compiling failed: the module stays on the interpreter. */
    void stayInterpreted() {
        compiled.complete(false);
    }

    @Override
    public String toString() {
        return "CompiledModule[" + digest + (isCompiled() ? ", compiled]" : ", interpreted]");
    }
}
