package dev.sluice.gateway.tracing;

import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.quota.ConcurrencyLimiter;
import dev.sluice.tenancy.quota.FuelBudget;
import dev.sluice.tenancy.quota.QuotaPolicy;
import dev.sluice.tenancy.quota.RateDecision;
import dev.sluice.tenancy.quota.RateLimiter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The quota checks as spans, inside a traced request only: {@code sluice.quota.rate} (its {@code sluice.quota} names
 * the policy: {@code rate}, {@code invocations-minute}, {@code invocations-day}), {@code sluice.quota.concurrency},
 * {@code sluice.quota.fuel}; each says its store ({@code sluice.quota.store}: {@code redis} or {@code local}, so the
 * Redis round trips stand out) and whether it granted. A fail-open answer from the local fallback is still
 * {@code redis} (the configured store), and its duration shows the failed attempt. Releases and settlements are not
 * traced. Forgetting passes through.
 */
final class TracedQuotas {
    private TracedQuotas() {}

    private static <T> T traced(Tracer tracer, String name, String store, String quota, Supplier<T> check,
                                Predicate<T> granted) {
        if (!TracedSpans.inTrace()) {
            return check.get();
        }
        Span span = tracer.spanBuilder(name).setAttribute(TraceAttributes.QUOTA_STORE, store)
                .setAttribute(TraceAttributes.QUOTA, quota).startSpan();
        try {
            T decision = check.get();
            span.setAttribute(TraceAttributes.GRANTED, granted.test(decision));
            return decision;
        } catch (RuntimeException e) {
            TracedSpans.failed(span, e);
            throw e;
        } finally {
            span.end();
        }
    }

    record Rates(RateLimiter rates, Tracer tracer, String store) implements RateLimiter {
        @Override
        public RateDecision tryAcquire(TenantUid tenant, QuotaPolicy policy) {
            return traced(tracer, "sluice.quota.rate", store, policy.name(), () -> rates.tryAcquire(tenant, policy),
                    RateDecision::granted);
        }

        @Override
        public void forget(TenantUid tenant) {
            rates.forget(tenant);
        }
    }

    record Concurrency(ConcurrencyLimiter concurrency, Tracer tracer, String store) implements ConcurrencyLimiter {
        @Override
        public ConcurrencyDecision tryAcquire(TenantUid tenant, int limit, Duration leaseTtl) {
            return traced(tracer, "sluice.quota.concurrency", store, "concurrency",
                    () -> concurrency.tryAcquire(tenant, limit, leaseTtl), ConcurrencyDecision::granted);
        }

        @Override
        public void forget(TenantUid tenant) {
            concurrency.forget(tenant);
        }
    }

    record Fuel(FuelBudget fuel, Tracer tracer, String store) implements FuelBudget {
        @Override
        public FuelDecision reserve(TenantUid tenant, long budgetPerDay, long amount) {
            return traced(tracer, "sluice.quota.fuel", store, "fuel-day",
                    () -> fuel.reserve(tenant, budgetPerDay, amount), FuelDecision::granted);
        }

        @Override
        public void forget(TenantUid tenant) {
            fuel.forget(tenant);
        }
    }
}
