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
 *
 * <p>A worker keeps the memory of its last invocation and hands it to the next one with the very same limits, if
 * the guest did not grow it and it is small ({@link Spare}): allocating fresh pages (cache-cold, zeroed by the JVM)
 * was half of a {@code hello} run's CPU (issue 12). A reused memory is zeroed here before anything else sees it
 * (Chicory's {@code Instance.initialize} zeroes it once more, then writes the data segments), so an invocation
 * starts from exactly the bytes a fresh memory would hold, whichever tenant ran before; {@code WorkerReuseTest}
 * proves it.
 */
final class MemoryCap {
    private final int capPages;
    private final Spare spare;
    private ByteBufferMemory memory;
    private int declaredMaximum;

    MemoryCap(int capPages) {
        this(capPages, new Spare());
    }

    MemoryCap(int capPages, Spare spare) {
        this.capPages = capPages;
        this.spare = spare;
    }

    Memory create(MemoryLimits declared) {
        if (declared.initialPages() > capPages) {
            throw new Refused("module needs " + declared.initialPages() + " pages of memory at start (limit: "
                    + capPages + ")");
        }
        declaredMaximum = declared.maximumPages();
        var limits = new MemoryLimits(declared.initialPages(), Math.min(declared.maximumPages(), capPages),
                declared.shared());
        memory = spare.take(limits);
        if (memory == null) {
            memory = new ByteBufferMemory(limits);
        }
        return memory;
    }

    /** The invocation is over: its memory may serve the worker's next one. */
    void release() {
        if (memory != null) {
            spare.keep(memory);
        }
    }

    /** Whether the guest filled its memory up to our cap, which it could have exceeded without the cap. */
    boolean reached() {
        return memory != null && declaredMaximum > capPages && memory.pages() >= capPages;
    }

    int capPages() {
        return capPages;
    }

    /**
     * One worker's memory between invocations: at most one, of at most {@value #KEEP_MAX_PAGES} pages (2 MiB; a C
     * command starts with 2, a Rust one with 17), so an idle worker holds at most that much. Larger memories are
     * allocated per call as before. Confined to the worker's thread.
     */
    static final class Spare {
        static final int KEEP_MAX_PAGES = 32;

        private ByteBufferMemory kept;

        /** A zeroed memory of exactly these limits and their initial size, or null when there is none. */
        ByteBufferMemory take(MemoryLimits limits) {
            ByteBufferMemory memory = kept;
            kept = null;
            if (memory == null || limits.shared() || memory.initialPages() != limits.initialPages()
                    || memory.maximumPages() != Math.min(limits.maximumPages(), Memory.RUNTIME_MAX_PAGES)
                    || memory.pages() != limits.initialPages()) {
                return null; // a grown memory, or other limits: a fresh one is the only way to match exactly
            }
            memory.zero();
            return memory;
        }

        void keep(ByteBufferMemory memory) {
            kept = memory.shared() || memory.pages() > KEEP_MAX_PAGES ? null : memory;
        }
    }

    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }
}
