package dev.sluice.scheduler;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The only imports a module may have: the WASI preview 1 functions Chicory implements, with their exact types.
 * Derived from Chicory itself so the allow-list can never name a function the runtime would fail to link.
 * Immutable; thread-safe.
 */
final class WasiImports {
    static final String MODULE = "wasi_snapshot_preview1";

    private final Map<String, FunctionType> functions;

    private WasiImports(Map<String, FunctionType> functions) {
        this.functions = Map.copyOf(functions);
    }

    static WasiImports create() {
        // A throwaway instance with nothing granted, only to list the host functions and their signatures.
        try (WasiPreview1 wasi = WasiPreview1.builder().withOptions(WasiOptions.builder().build()).build()) {
            return new WasiImports(Stream.of(wasi.toHostFunctions())
                    .filter(f -> f.module().equals(MODULE))
                    .collect(Collectors.toMap(HostFunction::name, HostFunction::functionType)));
        }
    }

    /** The type the runtime provides for {@code module.name}, if it is an allowed function at all. */
    Optional<FunctionType> function(String module, String name) {
        return MODULE.equals(module) ? Optional.ofNullable(functions.get(name)) : Optional.empty();
    }
}
