package dev.sluice.scheduler;

import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;

/**
 * The memory factory of one instance: enforces the function's page cap. Chicory's {@code withMemoryLimits} would
 * replace the module's declared limits outright (letting a module with a small declared maximum grow to the cap),
 * so the cap is applied here instead: the declared maximum stays in force when smaller, and {@code memory.grow}
 * past the cap returns -1 to the guest. Pages are allocated as they are grown, so the host heap never holds more
 * than the cap. Confined to the worker running the instance.
 */
final class MemoryCap {
    private final int capPages;
    private Memory memory;
    private int declaredMaximum;

    MemoryCap(int capPages) {
        this.capPages = capPages;
    }

    Memory create(MemoryLimits declared) {
        if (declared.initialPages() > capPages) {
            throw new Refused("module needs " + declared.initialPages() + " pages of memory at start (limit: "
                    + capPages + ")");
        }
        declaredMaximum = declared.maximumPages();
        memory = new ByteBufferMemory(new MemoryLimits(declared.initialPages(),
                Math.min(declared.maximumPages(), capPages), declared.shared()));
        return memory;
    }

    /** Whether the guest filled its memory up to our cap, which it could have exceeded without the cap. */
    boolean reached() {
        return memory != null && declaredMaximum > capPages && memory.pages() >= capPages;
    }

    int capPages() {
        return capPages;
    }

    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }
}
