package dev.sluice.scheduler.testing;

import static dev.sluice.scheduler.testing.WasmBinary.CODE;
import static dev.sluice.scheduler.testing.WasmBinary.DATA;
import static dev.sluice.scheduler.testing.WasmBinary.ELEMENT;
import static dev.sluice.scheduler.testing.WasmBinary.EXPORT;
import static dev.sluice.scheduler.testing.WasmBinary.FUNCTION;
import static dev.sluice.scheduler.testing.WasmBinary.GLOBAL;
import static dev.sluice.scheduler.testing.WasmBinary.MEMORY;
import static dev.sluice.scheduler.testing.WasmBinary.TABLE;
import static dev.sluice.scheduler.testing.WasmBinary.TYPE;
import static dev.sluice.scheduler.testing.WasmBinary.bytes;
import static dev.sluice.scheduler.testing.WasmBinary.command;
import static dev.sluice.scheduler.testing.WasmBinary.emptyBody;
import static dev.sluice.scheduler.testing.WasmBinary.leb;
import static dev.sluice.scheduler.testing.WasmBinary.module;
import static dev.sluice.scheduler.testing.WasmBinary.name;
import static dev.sluice.scheduler.testing.WasmBinary.repeat;

import java.util.Arrays;

/**
 * Hostile module binaries no text-format tool would write, each a few bytes to a few hundred KiB, whose declared
 * sizes would cost the host gigabytes or minutes if believed. Shared with gateway's tests through the test-jar.
 * Each is a complete module with a {@code _start} unless its name says otherwise.
 */
public final class HostileModules {
    private HostileModules() {}

    /** One local declaration of 4 000 000 000 i32 locals (5 bytes of LEB128). */
    public static byte[] fourBillionLocals() {
        return command(bytes(leb(1), leb(4_000_000_000L), 0x7f, 0x0b)).build();
    }

    /**
     * 2 000 local declarations of 50 000 i64 locals each: 10^8 locals in 8 KiB, each declaration within Chicory's
     * per-declaration limit (before the cap, a 46 s, 1.8 GiB deploy).
     */
    public static byte[] hundredMillionLocals() {
        return command(bytes(leb(2000), repeat(bytes(leb(50_000), 0x7e), 2000), 0x0b)).build();
    }

    /** A function type claiming 2^31 - 16 parameters, in a 15-byte type section (before: OutOfMemoryError). */
    public static byte[] typeClaimingTwoBillionParameters() {
        return module().section(TYPE, bytes(leb(1), 0x60, leb(0x7FFF_FFF0L), leb(0))).build();
    }

    /** A recursion group claiming 2^31 - 1 types (before: OutOfMemoryError). */
    public static byte[] recursionGroupClaimingTwoBillionTypes() {
        return module().section(TYPE, bytes(leb(1), 0x4e, leb(0x7FFF_FFFFL))).build();
    }

    /** An active data segment claiming 2 GiB - 1 bytes and holding 3 (before: OutOfMemoryError). */
    public static byte[] dataSegmentClaimingTwoGigabytes() {
        return command(emptyBody())
                .section(MEMORY, bytes(leb(1), 0x00, leb(1)))
                .section(DATA, bytes(leb(1), 0x00, 0x41, 0x00, 0x0b, leb(0x7FFF_FFFFL), 1, 2, 3))
                .build();
    }

    /** An element segment claiming 2^31 - 1 function indices (before: OutOfMemoryError). */
    public static byte[] elementSegmentClaimingTwoBillionEntries() {
        return command(emptyBody())
                .section(TABLE, bytes(leb(1), 0x70, 0x00, leb(1)))
                .section(ELEMENT, bytes(leb(1), 0x00, 0x41, 0x00, 0x0b, leb(0x7FFF_FFFFL), 0x00))
                .build();
    }

    /** {@code count} functions of type {@code () -> ()}, the first exported as {@code _start}; all empty. */
    public static byte[] functions(int count) {
        return module()
                .section(TYPE, bytes(leb(1), 0x60, 0x00, 0x00))
                .section(FUNCTION, bytes(leb(count), repeat(leb(0), count)))
                .section(EXPORT, bytes(leb(1), name("_start"), 0x00, leb(0)))
                .section(CODE, bytes(leb(count), repeat(bytes(leb(2), 0x00, 0x0b), count)))
                .build();
    }

    /** A one-page memory and {@code count} empty active data segments at offset 0. */
    public static byte[] dataSegments(int count) {
        return command(emptyBody())
                .section(MEMORY, bytes(leb(1), 0x00, leb(1)))
                .section(DATA, bytes(leb(count), repeat(bytes(0x00, 0x41, 0x00, 0x0b, leb(0)), count)))
                .build();
    }

    /**
     * A recursive function with {@code locals} i64 locals and no base case, called by {@code _start}: each frame
     * holds all its locals, so recursion depth times locals is what the host pays.
     */
    public static byte[] recursionWithLocals(int locals) {
        byte[] start = bytes(0x00, 0x10, leb(1), 0x0b);
        byte[] recurse = bytes(leb(1), leb(locals), 0x7e, 0x10, leb(1), 0x0b);
        return module()
                .section(TYPE, bytes(leb(1), 0x60, 0x00, 0x00))
                .section(FUNCTION, bytes(leb(2), leb(0), leb(0)))
                .section(EXPORT, bytes(leb(1), name("_start"), 0x00, leb(0)))
                .section(CODE, bytes(leb(2), leb(start.length), start, leb(recurse.length), recurse))
                .build();
    }

    /** {@code count} functions of {@code locals} i32 locals each; the first is {@code _start}. */
    public static byte[] functionsWithLocals(int count, int locals) {
        byte[] body = bytes(leb(1), leb(locals), 0x7f, 0x0b);
        return module()
                .section(TYPE, bytes(leb(1), 0x60, 0x00, 0x00))
                .section(FUNCTION, bytes(leb(count), repeat(leb(0), count)))
                .section(EXPORT, bytes(leb(1), name("_start"), 0x00, leb(0)))
                .section(CODE, bytes(leb(count), repeat(bytes(leb(body.length), body), count)))
                .build();
    }

    /**
     * A recursive function with {@code locals} i64 locals and no base case, which counts its depth in a global
     * exported as {@code depth} and keeps {@code operands} i32 operands on the stack across its recursive call;
     * {@code _start} calls it. What each frame holds is locals plus operands.
     */
    public static byte[] recursionCountingDepth(int locals, int operands) {
        byte[] start = bytes(0x00, 0x10, leb(1), 0x0b);
        byte[] recurse = bytes(locals == 0 ? leb(0) : bytes(leb(1), leb(locals), 0x7e),
                0x23, leb(0), 0x41, leb(1), 0x6a, 0x24, leb(0), // global.get 0; i32.const 1; i32.add; global.set 0
                repeat(bytes(0x41, leb(1)), operands), 0x10, leb(1), repeat(bytes(0x1a), operands), 0x0b);
        return module()
                .section(TYPE, bytes(leb(1), 0x60, 0x00, 0x00))
                .section(FUNCTION, bytes(leb(2), leb(0), leb(0)))
                .section(GLOBAL, bytes(leb(1), 0x7f, 0x01, 0x41, leb(0), 0x0b))
                .section(EXPORT, bytes(leb(2), name("_start"), 0x00, leb(0), name("depth"), 0x03, leb(0)))
                .section(CODE, bytes(leb(2), leb(start.length), start, leb(recurse.length), recurse))
                .build();
    }

    /**
     * {@code _start} is {@code block; else; end; end}: an else with no if. Chicory's parser asserts before its
     * validator rejects it, so with Java assertions on the parse threw AssertionError (found by the mutation fuzzer).
     */
    public static byte[] elseInsideABlock() {
        return command(bytes(leb(0), 0x02, 0x40, 0x05, 0x0b, 0x0b)).build();
    }

    /** Exports {@code _start} as function 4 of a module with one function (found by the mutation fuzzer). */
    public static byte[] startExportedAsAMissingFunction() {
        return command(emptyBody()).section(EXPORT, bytes(leb(1), name("_start"), 0x00, leb(4))).build();
    }

    /** The first {@code length} bytes of {@code module}. */
    public static byte[] truncated(byte[] module, int length) {
        return Arrays.copyOf(module, length);
    }
}
