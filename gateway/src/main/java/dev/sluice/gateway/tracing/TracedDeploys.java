package dev.sluice.gateway.tracing;

import dev.sluice.scheduler.DeployObserver;
import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.ForwardingFunctionRegistry;
import dev.sluice.scheduler.FunctionRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.Locale;

/**
 * The registry with each deploy as a {@code sluice.deploy} span: the registry's validation, fuel instrumentation,
 * storing and the wait for the compile (up to {@code compile-budget-ms}), each a child span ({@link DeployObserver}),
 * with the module's size and digest and whether it was created and compiled in time. The deploy runs on a deploy
 * thread: the request's context is carried there by the deploy admission ({@link Tracing#inCurrentTrace}). Inside a
 * traced request only; the rest passes through.
 */
final class TracedDeploys extends ForwardingFunctionRegistry {
    private final Tracer tracer;

    TracedDeploys(FunctionRegistry functions, Tracer tracer) {
        super(functions);
        this.tracer = tracer;
    }

    @Override
    public Deployment deploy(DeployRequest request) {
        if (!TracedSpans.inTrace()) {
            return functions.deploy(request);
        }
        Span span = tracer.spanBuilder("sluice.deploy")
                .setAttribute(TraceAttributes.FUNCTION, request.name().value())
                .setAttribute(TraceAttributes.MODULE_BYTES, (long) request.module().length)
                .startSpan();
        try (Scope ignored = span.makeCurrent()) {
            Deployment deployment = functions.deploy(request.withObserver(new StepSpans(Context.current())));
            span.setAttribute(TraceAttributes.DIGEST, deployment.spec().digest());
            span.setAttribute(TraceAttributes.CREATED, deployment.created());
            span.setAttribute(TraceAttributes.COMPILED, deployment.compiled());
            return deployment;
        } catch (RuntimeException e) {
            TracedSpans.failed(span, e);
            throw e;
        } finally {
            span.end();
        }
    }

    /**
     * The registry's steps as children of the deploy span: {@code sluice.deploy.validate},
     * {@code sluice.deploy.instrument}, {@code sluice.deploy.store}, {@code sluice.deploy.compile} (only when the
     * compile was not done already). All on the deploying thread, one step at a time.
     */
    private final class StepSpans implements DeployObserver {
        private final Context parent;
        private final Span[] open = new Span[Step.values().length];

        StepSpans(Context parent) {
            this.parent = parent;
        }

        @Override
        public void started(Step step) {
            open[step.ordinal()] = tracer.spanBuilder("sluice.deploy." + step.name().toLowerCase(Locale.ROOT))
                    .setParent(parent).startSpan();
        }

        @Override
        public void ended(Step step) {
            Span span = open[step.ordinal()];
            if (span != null) {
                span.end();
            }
        }

        @Override
        public void failed(Step step, RuntimeException failure) {
            Span span = open[step.ordinal()];
            if (span != null) {
                TracedSpans.failed(span, failure);
                span.end();
            }
        }
    }

}
