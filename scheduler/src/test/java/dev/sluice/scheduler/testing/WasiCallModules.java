package dev.sluice.scheduler.testing;

import static dev.sluice.scheduler.testing.WasmBinary.CODE;
import static dev.sluice.scheduler.testing.WasmBinary.EXPORT;
import static dev.sluice.scheduler.testing.WasmBinary.FUNCTION;
import static dev.sluice.scheduler.testing.WasmBinary.IMPORT;
import static dev.sluice.scheduler.testing.WasmBinary.MEMORY;
import static dev.sluice.scheduler.testing.WasmBinary.TYPE;
import static dev.sluice.scheduler.testing.WasmBinary.bytes;
import static dev.sluice.scheduler.testing.WasmBinary.leb;
import static dev.sluice.scheduler.testing.WasmBinary.module;
import static dev.sluice.scheduler.testing.WasmBinary.name;
import static dev.sluice.scheduler.testing.WasmBinary.sleb;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;

/**
 * Modules that call one WASI function with chosen arguments, to attack it with guest pointers and lengths. The
 * module has {@code pages} pages of memory (exported), first stores the given i32 values at the given addresses
 * (iovecs, subscriptions), then calls the function {@code calls} times with the same constant arguments and
 * passes the last call's errno to {@code proc_exit}, so the run's exit code is the errno the host answered (0 on
 * success). A function without a result (proc_exit itself) is just called.
 */
public final class WasiCallModules {
    private static final int I32 = 0x7f;
    private static final int I64 = 0x7e;

    private WasiCallModules() {}

    /**
     * @param function the WASI function's name
     * @param params   its parameter types, {@code "i32"} or {@code "i64"}, as Chicory declares them
     * @param returns  whether it returns an errno
     * @param args     one constant per parameter (an i32 is its low 32 bits)
     * @param stores   i32 values to store first, by address
     */
    public static byte[] calling(String function, List<String> params, boolean returns, long[] args,
                                 Map<Integer, Integer> stores, int calls, int pages) {
        return calling(null, List.of(), new long[0], function, params, returns, args, stores, calls, pages);
    }

    /**
     * As {@link #calling(String, List, boolean, long[], Map, int, int)}, but first calls {@code first} (a WASI
     * function returning an errno, which is dropped) once with {@code firstArgs}, e.g. {@code fd_renumber}.
     */
    public static byte[] calling(String first, List<String> firstParams, long[] firstArgs, String function,
                                 List<String> params, boolean returns, long[] args, Map<Integer, Integer> stores,
                                 int calls, int pages) {
        if (args.length != params.size() || firstArgs.length != firstParams.size()) {
            throw new IllegalArgumentException("args: " + args.length + " (expected: " + params.size() + ")");
        }
        byte[] paramTypes = types(params);
        byte[] firstTypes = types(firstParams);
        int firstIndex = 2;
        int startIndex = first == null ? 2 : 3;
        byte[] calledType = bytes(0x60, leb(paramTypes.length), paramTypes, returns ? bytes(leb(1), I32) : leb(0));
        byte[] exitType = bytes(0x60, leb(1), I32, leb(0));
        byte[] startType = bytes(0x60, leb(0), leb(0));
        byte[] firstType = bytes(0x60, leb(firstTypes.length), firstTypes, leb(1), I32);

        var body = new ByteArrayOutputStream();
        body.writeBytes(leb(0)); // no locals
        stores.forEach((address, value) -> body.writeBytes(bytes(0x41, sleb(address), 0x41, sleb(value),
                0x36, 0x02, 0x00))); // i32.store align=2 offset=0
        if (first != null) {
            body.writeBytes(constants(firstTypes, firstArgs));
            body.writeBytes(bytes(0x10, leb(firstIndex), 0x1a)); // call first, drop its errno
        }
        for (int c = 0; c < calls; c++) {
            body.writeBytes(constants(paramTypes, args));
            body.writeBytes(bytes(0x10, leb(0))); // call the attacked function
            if (returns && c < calls - 1) {
                body.write(0x1a); // drop
            }
        }
        if (returns) {
            body.writeBytes(bytes(0x10, leb(1))); // proc_exit(errno)
        }
        body.write(0x0b);
        byte[] code = body.toByteArray();

        byte[] imports = bytes(name("wasi_snapshot_preview1"), name(function), 0x00, leb(0),
                name("wasi_snapshot_preview1"), name("proc_exit"), 0x00, leb(1));
        if (first != null) {
            imports = bytes(imports, name("wasi_snapshot_preview1"), name(first), 0x00, leb(3));
        }
        return module()
                .section(TYPE, bytes(leb(4), calledType, exitType, startType, firstType))
                .section(IMPORT, bytes(leb(first == null ? 2 : 3), imports))
                .section(FUNCTION, bytes(leb(1), leb(2)))
                .section(MEMORY, bytes(leb(1), 0x00, leb(pages)))
                .section(EXPORT, bytes(leb(2), name("_start"), 0x00, leb(startIndex),
                        name("memory"), 0x02, leb(0)))
                .section(CODE, bytes(leb(1), leb(code.length), code))
                .build();
    }

    private static byte[] types(List<String> params) {
        byte[] types = new byte[params.size()];
        for (int i = 0; i < types.length; i++) {
            types[i] = (byte) (params.get(i).equals("i64") ? I64 : I32);
        }
        return types;
    }

    private static byte[] constants(byte[] types, long[] values) {
        var out = new ByteArrayOutputStream();
        for (int i = 0; i < values.length; i++) {
            out.writeBytes(types[i] == I64 ? bytes(0x42, sleb(values[i])) : bytes(0x41, sleb((int) values[i])));
        }
        return out.toByteArray();
    }
}
