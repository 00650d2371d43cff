package dev.sluice.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builds, in the test, a WASI command whose stdout is exactly the given bytes: one {@code fd_write} of a data
 * segment, exit code 0. Lets a test state a CGI response inline instead of adding a .wat fixture per case.
 *
 * <p>Layout: the iovec at 0..8, the written count at 8, the bytes from 1024; memory is sized to hold them.
 */
final class PrintingModule {
    private static final int DATA = 1024;

    private PrintingModule() {}

    static byte[] printing(String stdout) {
        return printing(stdout.getBytes(StandardCharsets.ISO_8859_1));
    }

    static byte[] printing(byte[] stdout) {
        return printing(stdout, new byte[0]);
    }

    /** As {@link #printing(byte[])}, then a second {@code fd_write} of {@code stderr} to fd 2 (its iovec at 16). */
    static byte[] printing(byte[] stdout, byte[] stderr) {
        int pages = (DATA + stdout.length + stderr.length) / 65536 + 1;
        ByteArrayOutputStream module = new ByteArrayOutputStream();
        module.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
        // types: 0 = (i32 i32 i32 i32) -> i32 (fd_write), 1 = () -> ()
        section(module, 1, bytes(2, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f, 0x60, 0, 0));
        ByteArrayOutputStream imports = new ByteArrayOutputStream();
        imports.write(1);
        name(imports, "wasi_snapshot_preview1");
        name(imports, "fd_write");
        imports.writeBytes(bytes(0, 0));
        section(module, 2, imports.toByteArray());
        section(module, 3, bytes(1, 1));
        ByteArrayOutputStream memory = new ByteArrayOutputStream();
        memory.writeBytes(bytes(1, 0));
        leb(memory, pages);
        section(module, 5, memory.toByteArray());
        ByteArrayOutputStream exports = new ByteArrayOutputStream();
        exports.write(2);
        name(exports, "memory");
        exports.writeBytes(bytes(2, 0));
        name(exports, "_start");
        exports.writeBytes(bytes(0, 1));
        section(module, 7, exports.toByteArray());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(0); // no locals
        i32(body, 0);
        i32(body, DATA);
        body.writeBytes(bytes(0x36, 2, 0)); // i32.store align=4 offset=0
        i32(body, 4);
        i32(body, stdout.length);
        body.writeBytes(bytes(0x36, 2, 0));
        i32(body, 1);
        i32(body, 0);
        i32(body, 1);
        i32(body, 8);
        body.writeBytes(bytes(0x10, 0, 0x1a)); // call fd_write, drop
        i32(body, 16);
        i32(body, DATA + stdout.length);
        body.writeBytes(bytes(0x36, 2, 0));
        i32(body, 20);
        i32(body, stderr.length);
        body.writeBytes(bytes(0x36, 2, 0));
        i32(body, 2);
        i32(body, 16);
        i32(body, 1);
        i32(body, 8);
        body.writeBytes(bytes(0x10, 0, 0x1a, 0x0b)); // call fd_write, drop, end
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        code.write(1);
        leb(code, body.size());
        code.writeBytes(body.toByteArray());
        section(module, 10, code.toByteArray());
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.writeBytes(bytes(1, 0));
        i32(data, DATA);
        data.write(0x0b);
        leb(data, stdout.length + stderr.length);
        data.writeBytes(stdout);
        data.writeBytes(stderr);
        section(module, 11, data.toByteArray());
        return module.toByteArray();
    }

    private static void section(ByteArrayOutputStream out, int id, byte[] content) {
        out.write(id);
        leb(out, content.length);
        out.writeBytes(content);
    }

    private static void name(ByteArrayOutputStream out, String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        leb(out, utf8.length);
        out.writeBytes(utf8);
    }

    private static void i32(ByteArrayOutputStream out, int value) {
        out.write(0x41);
        // signed LEB128
        boolean more = true;
        while (more) {
            int b = value & 0x7f;
            value >>= 7;
            more = !((value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0));
            out.write(more ? b | 0x80 : b);
        }
    }

    private static void leb(ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7f;
            value >>>= 7;
            out.write(value != 0 ? b | 0x80 : b);
        } while (value != 0);
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }
}
