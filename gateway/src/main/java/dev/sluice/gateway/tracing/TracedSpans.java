package dev.sluice.gateway.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;

/** What the decorators share about failed steps. */
final class TracedSpans {
    private TracedSpans() {}

    /** Whether this thread is inside a traced request (a valid span is current): decorators trace only then. */
    static boolean inTrace() {
        return Span.current().getSpanContext().isValid();
    }

    /**
     * Marks {@code span} failed with the exception's class name only: messages may name hosts, and an exception
     * event would carry a stack trace and message into the collector.
     */
    static void failed(Span span, Throwable e) {
        span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
    }
}
