package dev.sluice.scheduler.testing;

import static dev.sluice.scheduler.testing.WasmBinary.bytes;
import static dev.sluice.scheduler.testing.WasmBinary.leb;
import static dev.sluice.scheduler.testing.WasmBinary.name;
import static dev.sluice.scheduler.testing.WasmBinary.sleb;

import java.io.ByteArrayOutputStream;

/**
 * Large, valid WASI commands for tests of deploy and compile load: {@code functions} functions of straight-line
 * arithmetic (about 150 bytes of code each, so 4 000 make about 600 KB) and an empty exported {@code _start}. Each
 * {@code seed} gives different bytes (a different digest) for the same amount of work; the same arguments always
 * give the same bytes. Parsing, instrumenting and compiling one costs time in proportion to its size.
 */
public final class LargeModules {
    private static final int ADDS_PER_FUNCTION = 36;

    private LargeModules() {}

    public static byte[] generate(int functions, int seed) {
        var types = new ByteArrayOutputStream();
        types.writeBytes(leb(functions + 1L));
        for (int i = 0; i <= functions; i++) {
            types.writeBytes(leb(0));
        }
        var code = new ByteArrayOutputStream();
        code.writeBytes(leb(functions + 1L));
        byte[] start = bytes(0x00, 0x0b);
        code.writeBytes(leb(start.length));
        code.writeBytes(start);
        for (int f = 0; f < functions; f++) {
            var body = new ByteArrayOutputStream();
            body.writeBytes(bytes(0x00, 0x41));
            body.writeBytes(sleb(seed));
            for (int k = 0; k < ADDS_PER_FUNCTION; k++) {
                body.write(0x41);
                body.writeBytes(sleb((f * 31L + k * 7L) & 0xFFF));
                body.write(0x6a); // i32.add
            }
            body.writeBytes(bytes(0x1a, 0x0b)); // drop, end
            code.writeBytes(leb(body.size()));
            code.writeBytes(body.toByteArray());
        }
        return WasmBinary.module()
                .section(WasmBinary.TYPE, bytes(leb(1), bytes(0x60, 0, 0)))
                .section(WasmBinary.FUNCTION, types.toByteArray())
                .section(WasmBinary.EXPORT, bytes(leb(1), name("_start"), bytes(0x00), leb(0)))
                .section(WasmBinary.CODE, code.toByteArray())
                .build();
    }
}
