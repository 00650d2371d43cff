package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.Memory;

/**
 * A span of guest memory a WASI function reads or writes, described by its arguments: it starts at the address in
 * argument {@code pointer} and is {@code unit} bytes long, or, when {@code count >= 0}, {@code unit} times the value
 * of argument {@code count} (a string length, a buffer length, a number of iovecs). {@code path} marks a path
 * string, which Chicory copies and decodes before the call. Immutable.
 */
record Region(int pointer, int count, long unit, boolean path) {
    Region {
        if (pointer < 0) {
            throw new IllegalArgumentException("pointer: " + pointer + " (expected: an argument index >= 0)");
        }
        if (unit < 0) {
            throw new IllegalArgumentException("unit: " + unit + " (expected: >= 0)");
        }
    }

    /** A span of {@code bytes} bytes at the address in argument {@code pointer}. */
    static Region fixed(int pointer, long bytes) {
        return new Region(pointer, -1, bytes, false);
    }

    /** A span whose length in bytes is argument {@code length}. */
    static Region sized(int pointer, int length) {
        return new Region(pointer, length, 1, false);
    }

    /** A path string of argument-{@code length} bytes. */
    static Region path(int pointer, int length) {
        return new Region(pointer, length, 1, true);
    }

    /** An array of argument-{@code count} elements of {@code elementBytes} each. */
    static Region array(int pointer, int count, long elementBytes) {
        return new Region(pointer, count, elementBytes, false);
    }

    /** The span's length in bytes for these arguments. */
    long length(long[] args) {
        return count < 0 ? unit : GuestMemory.u32(args[count]) * unit;
    }

    boolean fits(Memory memory, long[] args) {
        return GuestMemory.fits(memory, GuestMemory.u32(args[pointer]), length(args));
    }
}
