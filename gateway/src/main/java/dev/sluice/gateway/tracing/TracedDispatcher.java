package dev.sluice.gateway.tracing;

import dev.sluice.scheduler.Dispatcher;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationObserver;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.SchedulerException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.Clock;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Each invocation as a {@code sluice.dispatch} span (function, module digest, fuel used, outcome; the same three also
 * on the request's server span), current while the dispatcher runs, so a remote dispatch carries it to the worker
 * ({@link Tracing#outgoingHeaders}). The queue wait and the run are its children {@code sluice.queue} and
 * {@code sluice.run}, made from the {@link InvocationObserver} calls with start and end computed from the nanos they
 * report (they come on the dispatcher's threads, after the fact); the caller's own observer is told first, unchanged.
 * Outside a traced request it only passes through.
 */
final class TracedDispatcher implements Dispatcher {
    private final Dispatcher dispatcher;
    private final Tracer tracer;
    private final Clock clock = Clock.getDefault();

    TracedDispatcher(Dispatcher dispatcher, Tracer tracer) {
        this.dispatcher = dispatcher;
        this.tracer = tracer;
    }

    @Override
    public InvocationResult invoke(FunctionSpec function, InvocationRequest request, InvocationObserver observer) {
        Span server = Span.current();
        if (!server.getSpanContext().isValid()) {
            return dispatcher.invoke(function, request, observer);
        }
        Span span = tracer.spanBuilder("sluice.dispatch")
                .setAttribute(TraceAttributes.FUNCTION, function.name().value())
                .setAttribute(TraceAttributes.DIGEST, function.digest())
                .startSpan();
        server.setAttribute(TraceAttributes.DIGEST, function.digest());
        Context context = Context.current().with(span);
        try (Scope ignored = context.makeCurrent()) {
            InvocationResult result = dispatcher.invoke(function, request, new SpanObserver(context, observer));
            outcome(server, span, result.exitCode() == 0 ? "ok" : "exited", result.fuelUsed());
            return result;
        } catch (SchedulerException.InvocationFailed e) {
            outcome(server, span, e.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'), e.fuelUsed());
            throw e;
        } catch (SchedulerException.Overloaded e) {
            outcome(server, span, "overloaded", 0);
            TracedSpans.failed(span, e);
            throw e;
        } catch (SchedulerException.WorkerLost e) {
            outcome(server, span, "worker-lost", 0);
            TracedSpans.failed(span, e);
            throw e;
        } catch (RuntimeException | Error e) {
            outcome(server, span, "error", 0);
            TracedSpans.failed(span, e);
            throw e;
        } finally {
            span.end();
        }
    }

    private static void outcome(Span server, Span dispatch, String outcome, long fuel) {
        for (Span span : new Span[] {server, dispatch}) {
            span.setAttribute(TraceAttributes.OUTCOME, outcome);
            span.setAttribute(TraceAttributes.FUEL_USED, fuel);
        }
    }

    @Override
    public void shutdown(long graceMillis) {
        dispatcher.shutdown(graceMillis);
    }

    /** Turns the dispatcher's reports into spans; quick, never blocking, never throwing (the observer's contract). */
    private final class SpanObserver implements InvocationObserver {
        private final Context parent;
        private final InvocationObserver next;
        private volatile long runStart;

        SpanObserver(Context parent, InvocationObserver next) {
            this.parent = parent;
            this.next = next;
        }

        @Override
        public void started(long queueWaitNanos) {
            try {
                next.started(queueWaitNanos);
            } finally {
                long now = clock.now();
                runStart = now;
                spanBetween("sluice.queue", now - Math.max(0, queueWaitNanos), now);
            }
        }

        @Override
        public void ran(long runNanos) {
            try {
                next.ran(runNanos);
            } finally {
                long start = runStart != 0 ? runStart : clock.now() - Math.max(0, runNanos);
                spanBetween("sluice.run", start, start + Math.max(0, runNanos));
            }
        }

        private void spanBetween(String name, long startEpochNanos, long endEpochNanos) {
            try {
                tracer.spanBuilder(name).setParent(parent).setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
                        .startSpan().end(endEpochNanos, TimeUnit.NANOSECONDS);
            } catch (RuntimeException e) {
                // A span lost, never the invocation.
            }
        }
    }
}
