package dev.sluice.gateway;

import dev.sluice.gateway.core.InFlight;
import dev.sluice.gateway.core.WorkCounter;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import java.util.function.Supplier;

/**
 * Counts the work in flight so a stopping server can let it finish. Once {@link #close} is called, new work is
 * refused with a 503 problem and readiness turns false; work already admitted runs to completion, and
 * {@link #awaitIdle} waits for it up to a deadline. Thread-safe.
 */
final class Drain implements InFlight {
    private final WorkCounter counter = WorkCounter.unlimited();

    @Override
    public <T> T run(Supplier<T> work) {
        if (!counter.tryEnter()) {
            throw ProblemException.of(ProblemType.UNAVAILABLE, "the server is shutting down; retry elsewhere")
                    .header("Retry-After", "1");
        }
        try {
            return work.get();
        } finally {
            counter.exit();
        }
    }

    boolean accepting() {
        return !counter.closed();
    }

    int inFlight() {
        return counter.running();
    }

    void close() {
        counter.close();
    }

    /** @return whether everything finished before the deadline */
    boolean awaitIdle(long timeoutMillis) throws InterruptedException {
        return counter.awaitIdle(timeoutMillis);
    }
}
