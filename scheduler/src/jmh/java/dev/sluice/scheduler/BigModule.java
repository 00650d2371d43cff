package dev.sluice.scheduler;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Generates a large WASI command deterministically, for cold-start measurements: {@code functions} functions of
 * straight-line integer arithmetic with a few branches each (about 400 bytes of code apiece, so 5 000 make a
 * module of about 2 MB), and a {@code _start} that calls every one of them and writes {@code "ok\n"} to stdout.
 * The same arguments always give the same bytes.
 */
final class BigModule {
    private BigModule() {}

    static byte[] generate(int functions) {
        var module = new Bytes();
        module.raw(0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00);
        // Types: 0 = fd_write (i32 i32 i32 i32) -> i32, 1 = () -> (), 2 = (i32) -> i32
        module.section(1, new Bytes().u32(3)
                .raw(0x60, 4, 0x7F, 0x7F, 0x7F, 0x7F, 1, 0x7F)
                .raw(0x60, 0, 0)
                .raw(0x60, 1, 0x7F, 1, 0x7F));
        Bytes imports = new Bytes().u32(1).name("wasi_snapshot_preview1").name("fd_write").raw(0x00).u32(0);
        module.section(2, imports);
        Bytes functionTypes = new Bytes().u32(functions + 1).u32(1);
        for (int i = 0; i < functions; i++) {
            functionTypes.u32(2);
        }
        module.section(3, functionTypes);
        module.section(5, new Bytes().u32(1).raw(0x00).u32(1)); // memory 1
        module.section(7, new Bytes().u32(2).name("_start").raw(0x00).u32(1).name("memory").raw(0x02).u32(0));
        Bytes code = new Bytes().u32(functions + 1);
        code.body(start(functions));
        for (int i = 0; i < functions; i++) {
            code.body(function(i));
        }
        module.section(10, code);
        // Data: "ok\n" at 16.
        module.section(11, new Bytes().u32(1).raw(0x00).raw(0x41).s32(16).raw(0x0B).u32(3).raw('o', 'k', '\n'));
        return module.toByteArray();
    }

    /** Calls every function with the previous result, then writes "ok\n" (iovec at 0, count at 8). */
    private static Bytes start(int functions) {
        var b = new Bytes().u32(0); // no locals
        b.raw(0x41).s32(7);
        for (int i = 0; i < functions; i++) {
            b.raw(0x10).u32(2 + i); // call f_i (index 0 is the import, 1 is _start)
        }
        b.raw(0x1A); // drop
        b.raw(0x41).s32(0).raw(0x41).s32(16).raw(0x36, 0x02, 0x00); // i32.store [0] = 16
        b.raw(0x41).s32(4).raw(0x41).s32(3).raw(0x36, 0x02, 0x00); // i32.store [4] = 3
        b.raw(0x41).s32(1).raw(0x41).s32(0).raw(0x41).s32(1).raw(0x41).s32(8).raw(0x10).u32(0).raw(0x1A);
        return b.raw(0x0B);
    }

    /** f_i(x): 12 rounds of arithmetic on x, each round under an if on the running value's low bit. */
    private static Bytes function(int i) {
        var b = new Bytes().u32(1).u32(1).raw(0x7F); // one i32 local
        for (int round = 0; round < 12; round++) {
            int c = (i * 31 + round * 17) & 0xFFFF;
            // local.get 0; i32.const c; i32.add; i32.const 3; i32.mul; local.tee 1; i32.const 1; i32.and
            b.raw(0x20).u32(0).raw(0x41).s32(c).raw(0x6A).raw(0x41).s32(3).raw(0x6C).raw(0x22).u32(1)
                    .raw(0x41).s32(1).raw(0x71);
            // if (result i32) local.get 1, i32.const c, i32.xor, else local.get 1, i32.const 5, i32.rotl, end
            b.raw(0x04, 0x7F).raw(0x20).u32(1).raw(0x41).s32(c).raw(0x73)
                    .raw(0x05).raw(0x20).u32(1).raw(0x41).s32(5).raw(0x77).raw(0x0B);
            b.raw(0x21).u32(0); // local.set 0
        }
        return b.raw(0x20).u32(0).raw(0x0B);
    }

    private static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes raw(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Bytes u32(long value) {
            do {
                int b = (int) (value & 0x7F);
                value >>>= 7;
                out.write(value == 0 ? b : b | 0x80);
            } while (value != 0);
            return this;
        }

        Bytes s32(int value) {
            while (true) {
                int b = value & 0x7F;
                value >>= 7;
                boolean done = (value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0);
                out.write(done ? b : b | 0x80);
                if (done) {
                    return this;
                }
            }
        }

        Bytes name(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            u32(bytes.length);
            out.writeBytes(bytes);
            return this;
        }

        Bytes section(int id, Bytes payload) {
            out.write(id);
            u32(payload.out.size());
            out.writeBytes(payload.out.toByteArray());
            return this;
        }

        Bytes body(Bytes body) {
            u32(body.out.size());
            out.writeBytes(body.out.toByteArray());
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }
}
