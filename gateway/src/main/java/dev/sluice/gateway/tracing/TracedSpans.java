package dev.sluice.gateway.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;

/** What the decorators share about failed steps. */
final class TracedSpans {
    private TracedSpans() {}

    /**
     * Whether this thread is inside a traced request whose span records (sampled): decorators trace only then. In a
     * trace the sampler dropped ({@code trace-sampling-ratio} below 1) their spans would be dropped too (the sampler
     * is parent-based), so they are not built at all.
     */
    static boolean inTrace() {
        return Span.current().isRecording();
    }

    /**
     * Marks {@code span} failed with the exception's class name only: messages may name hosts, and an exception
     * event would carry a stack trace and message into the collector.
     */
    static void failed(Span span, Throwable e) {
        span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
    }
}
