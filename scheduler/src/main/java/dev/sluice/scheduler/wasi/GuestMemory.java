package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.Memory;

/**
 * Bounds checks on guest pointers and lengths, done in 64-bit arithmetic before the host touches or allocates
 * anything. Chicory's own memory checks compute {@code addr + size} in 32 bits, so a pointer near 2 GiB plus a
 * length near 2 GiB wraps around, passes, and lets the host allocate a buffer of the guest's length; every check
 * here treats WASI's {@code u32} arguments as unsigned and cannot wrap.
 */
final class GuestMemory {
    private GuestMemory() {}

    /** A WASI {@code u32} argument (pointer, length or count) as the unsigned value it denotes. */
    static long u32(long arg) {
        return arg & 0xFFFF_FFFFL;
    }

    /** The size of the instance's memory in bytes; 0 for a module without memory. */
    static long size(Memory memory) {
        return memory == null ? 0 : (long) memory.pages() * Memory.PAGE_SIZE;
    }

    /** Whether {@code [address, address + length)} lies inside the memory; a module without memory has no bytes. */
    static boolean fits(Memory memory, long address, long length) {
        return memory != null && address >= 0 && length >= 0 && address + length <= size(memory);
    }

    /** {@code a + b} for non-negative values, saturating at {@link Long#MAX_VALUE}; a negative operand gives -1. */
    static long sat(long a, long b) {
        if (a < 0 || b < 0) {
            return -1;
        }
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }
}
