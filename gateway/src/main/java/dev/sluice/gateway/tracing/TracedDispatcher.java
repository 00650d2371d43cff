package dev.sluice.gateway.tracing;

import dev.sluice.gateway.core.InvocationOutcome;
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
import io.opentelemetry.sdk.trace.ReadableSpan;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Each invocation as a {@code sluice.dispatch} span (function, module digest, fuel used, outcome; the same three also
 * on the request's server span), current while the dispatcher runs, so a remote dispatch carries it to the worker
 * ({@link Tracing#outgoingHeaders}). The queue wait and the run are its children {@code sluice.queue} and
 * {@code sluice.run}, made from the {@link InvocationObserver} calls with start and end computed from the nanos they
 * report (they come on the dispatcher's threads, after the fact); the caller's own observer is told first, unchanged.
 * Their times are the dispatch span's own start plus {@code nanoTime} deltas, so they sit inside it whatever the wall
 * clock does. In front of remote workers the pair is {@code sluice.remote.wait} (the balancer's wait for a worker)
 * and {@code sluice.remote.call} (the whole round trip), so they are not confused with the worker's own
 * {@code sluice.queue} and {@code sluice.run} in the same trace. Outside a traced request it only passes through.
 */
final class TracedDispatcher implements Dispatcher {
    private final Dispatcher dispatcher;
    private final Tracer tracer;
    private final String waitName;
    private final String runName;
    private final LongSupplier nanoTime;

    TracedDispatcher(Dispatcher dispatcher, Tracer tracer, boolean remote, LongSupplier nanoTime) {
        this.dispatcher = dispatcher;
        this.tracer = tracer;
        this.waitName = remote ? "sluice.remote.wait" : "sluice.queue";
        this.runName = remote ? "sluice.remote.call" : "sluice.run";
        this.nanoTime = nanoTime;
    }

    @Override
    public InvocationResult invoke(FunctionSpec function, InvocationRequest request, InvocationObserver observer) {
        if (!TracedSpans.inTrace()) {
            return dispatcher.invoke(function, request, observer);
        }
        Span span = tracer.spanBuilder("sluice.dispatch")
                .setAttribute(TraceAttributes.FUNCTION, function.name().value())
                .setAttribute(TraceAttributes.DIGEST, function.digest())
                .startSpan();
        long anchorNanos = nanoTime.getAsLong();
        Span server = Span.fromContext(Context.current());
        server.setAttribute(TraceAttributes.DIGEST, function.digest());
        Context context = Context.current().with(span);
        try (Scope ignored = context.makeCurrent()) {
            InvocationResult result = dispatcher.invoke(function, request,
                    observer(span, context, anchorNanos, observer));
            outcome(server, span, result.exitCode() == 0 ? "ok" : "exited", result.fuelUsed());
            return result;
        } catch (SchedulerException.InvocationFailed e) {
            outcome(server, span, InvocationOutcome.slug(e.kind()), e.fuelUsed());
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

    /** The span-making observer; the caller's alone when the dispatch span is not recorded (not sampled). */
    private InvocationObserver observer(Span dispatch, Context context, long anchorNanos, InvocationObserver next) {
        if (!(dispatch instanceof ReadableSpan readable) || !dispatch.isRecording()) {
            return next;
        }
        return new SpanObserver(context, next, readable.toSpanData().getStartEpochNanos(), anchorNanos);
    }

    @Override
    public void shutdown(long graceMillis) {
        dispatcher.shutdown(graceMillis);
    }

    /** Turns the dispatcher's reports into spans; quick, never blocking, never throwing (the observer's contract). */
    private final class SpanObserver implements InvocationObserver {
        private final Context parent;
        private final InvocationObserver next;
        private final long anchorEpochNanos;
        private final long anchorNanos;
        private volatile long runStart;

        SpanObserver(Context parent, InvocationObserver next, long anchorEpochNanos, long anchorNanos) {
            this.parent = parent;
            this.next = next;
            this.anchorEpochNanos = anchorEpochNanos;
            this.anchorNanos = anchorNanos;
        }

        /** Now on the dispatch span's clock: its start plus the monotonic time since. */
        private long now() {
            return anchorEpochNanos + Math.max(0, nanoTime.getAsLong() - anchorNanos);
        }

        @Override
        public void started(long queueWaitNanos) {
            try {
                next.started(queueWaitNanos);
            } finally {
                long now = now();
                runStart = now;
                spanBetween(waitName, Math.max(anchorEpochNanos, now - Math.max(0, queueWaitNanos)), now);
            }
        }

        @Override
        public void ran(long runNanos) {
            try {
                next.ran(runNanos);
            } finally {
                long start = runStart != 0 ? runStart : Math.max(anchorEpochNanos, now() - Math.max(0, runNanos));
                spanBetween(runName, start, start + Math.max(0, runNanos));
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
