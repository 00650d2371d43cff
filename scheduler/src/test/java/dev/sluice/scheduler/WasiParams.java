package dev.sluice.scheduler;

import com.dylibso.chicory.wasm.types.ValType;

import java.util.ArrayList;
import java.util.List;

/** The parameter types of a WASI function Sluice offers, as {@code WasiCallModules} takes them ("i32", "i64"). */
final class WasiParams {
    private WasiParams() {
    }

    static List<String> of(String function) {
        var type = WasiImports.create().function(WasiImports.MODULE, function)
                .orElseThrow(() -> new AssertionError("no WASI function " + function));
        List<String> params = new ArrayList<>();
        for (ValType p : type.params()) {
            params.add(p.equals(ValType.I64) ? "i64" : "i32");
        }
        return params;
    }
}
