package dev.sluice.gateway.core;

import java.util.function.Supplier;

/**
 * Where admitted work runs, counted so that a stopping gateway can let it finish. The gateway's implementation
 * ({@code Drain}) refuses new work once stopping, with its own exception, which passes through the core unchanged.
 */
public interface InFlight {
    <T> T run(Supplier<T> work);

    /** Counts nothing and refuses nothing (for tests of the chains). */
    static InFlight uncounted() {
        return new InFlight() {
            @Override
            public <T> T run(Supplier<T> work) {
                return work.get();
            }
        };
    }
}
