package dev.sluice.scheduler;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiled modules by content digest, so each distinct module is compiled once however many functions use it.
 * Thread-safe: lookups are lock-free; a compile holds only its own digest's slot.
 */
final class ModuleCache {
    private final ConcurrentHashMap<String, CompiledModule> modules = new ConcurrentHashMap<>();

    /** The compiled module for {@code digest}, compiling {@code checked} if no one has yet. */
    CompiledModule compile(String digest, ModuleValidator.Checked checked) {
        return modules.computeIfAbsent(digest, d -> {
            try {
                // Default settings: functions too large for the JVM fall back to the interpreter with a warning.
                return new CompiledModule(d, checked.module(), MachineFactoryCompiler.compile(checked.module()),
                        checked.initialPages(), checked.maximumPages(), checked.definedFuelGlobal());
            } catch (RuntimeException e) {
                throw new ModuleRejected(ModuleRejected.Reason.MALFORMED, "module cannot be compiled: "
                        + e.getMessage());
            }
        });
    }

    /** Re-adds a module evicted while a deploy that needs it was compiling. */
    void retain(CompiledModule module) {
        modules.putIfAbsent(module.digest(), module);
    }

    Optional<CompiledModule> find(String digest) {
        return Optional.ofNullable(modules.get(digest));
    }

    void evict(String digest) {
        modules.remove(digest);
    }
}
