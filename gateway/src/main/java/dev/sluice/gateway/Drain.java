package dev.sluice.gateway;

import dev.sluice.gateway.core.InFlight;
import dev.sluice.gateway.core.WorkCounter;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.function.Supplier;

/**
 * Counts the work in flight so a stopping server can let it finish. Once {@link #close} is called, new work is
 * refused with a 503 problem and readiness turns false; work already admitted runs to completion, and
 * {@link #awaitIdle} waits for it up to a deadline, and then for the answers of that work to be written: the
 * answer is sent after the work returns, and a listener that closed once the work alone was done would cut it.
 *
 * <p>As a routing {@link Filter}, it marks each request; work admitted within a marked request holds an answer
 * until the request's handler (and error handling) returns, its answer written. Only requests that ran admitted
 * work are held: a log stream or a health check never delays a stop. Helidon runs a request's filters and handler
 * on one thread, which is how the mark reaches {@link #run}. Thread-safe.
 */
final class Drain implements InFlight, Filter {
    private final WorkCounter counter = WorkCounter.unlimited();
    // Requests whose admitted work is done but whose answer may still be being written. Entered only while holding
    // an admission from counter, so once closed and idle, it only falls.
    private final WorkCounter answering = WorkCounter.unlimited();
    private final ThreadLocal<Answer> current = new ThreadLocal<>();

    /** The answer of one request; touched by the request's thread only. */
    private final class Answer {
        private boolean held;

        void hold() {
            if (!held) {
                held = answering.tryEnter(); // unlimited and never closed: always admitted
            }
        }

        void written() {
            if (held) {
                held = false;
                answering.exit();
            }
        }
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Answer outer = current.get();
        Answer answer = new Answer();
        current.set(answer);
        try {
            chain.proceed();
        } finally {
            current.set(outer);
            answer.written();
        }
    }

    @Override
    public <T> T run(Supplier<T> work) {
        if (!counter.tryEnter()) {
            throw ProblemException.of(ProblemType.UNAVAILABLE, "the server is shutting down; retry elsewhere")
                    .header("Retry-After", "1");
        }
        try {
            Answer answer = current.get();
            if (answer != null) {
                answer.hold();
            }
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

    /** @return whether everything finished, and its answer was written, before the deadline */
    boolean awaitIdle(long timeoutMillis) throws InterruptedException {
        return WorkCounter.awaitIdle(timeoutMillis, counter, answering);
    }
}
