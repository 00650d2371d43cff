package dev.sluice.gateway;

import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.quota.ConcurrencyLimiter.ConcurrencyDecision;
import dev.sluice.tenancy.quota.ConcurrencyLimiter;
import dev.sluice.tenancy.quota.FuelBudget.FuelDecision;
import dev.sluice.tenancy.quota.FuelBudget;
import dev.sluice.tenancy.quota.QuotaPolicy;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.quota.RateDecision;
import java.time.Duration;
import java.util.Optional;

/**
 * The quotas an invocation passes after the request rate, in order: an in-flight slot, the call's whole fuel limit
 * reserved from the daily budget, then invocations per minute and per day. Each refusal is its own problem type with a
 * {@code Retry-After}; what was taken before a refusal is given back (the slot, the reservation). Quotas a plan sets
 * to 0 (unlimited) are not checked at all.
 */
final class InvocationAdmission {
    /**
     * Slack on top of the lease's time to live. The lease must outlive any real invocation: at most the function's
     * timeout waiting for a worker (the pool gives up then) plus its timeout running.
     */
    private static final Duration LEASE_SLACK = Duration.ofSeconds(30);

    private final Quotas quotas;

    InvocationAdmission(Quotas quotas) {
        this.quotas = quotas;
    }

    /** A granted invocation; {@link #close} settles the fuel and frees the slot. */
    static final class Ticket implements AutoCloseable {
        private final Optional<ConcurrencyLimiter.Lease> lease;
        private final Optional<FuelBudget.Reservation> reservation;
        private long fuelUsed;

        private Ticket(Optional<ConcurrencyLimiter.Lease> lease, Optional<FuelBudget.Reservation> reservation) {
            this.lease = lease;
            this.reservation = reservation;
        }

        void fuelUsed(long fuel) {
            this.fuelUsed = fuel;
        }

        @Override
        public void close() {
            try {
                reservation.ifPresent(r -> r.settle(fuelUsed));
            } finally {
                lease.ifPresent(ConcurrencyLimiter.Lease::close);
            }
        }
    }

    /**
     * The function as it may run now: its deployed memory, timeout and fuel, each capped by the tenant's current
     * maximum. Limits are resolved from the plan on every request, so a tenant moved to a smaller plan (or whose plan
     * shrank) runs its existing functions under the smaller limits from its next call on, without a redeploy; the
     * fuel reserved from the day and the slot's lease follow the capped values too.
     */
    static FunctionSpec withinLimits(FunctionSpec function, TenantLimits limits) {
        int memoryPages = Math.min(function.memoryPages(), limits.maxMemoryPages());
        long timeoutMs = Math.min(function.timeoutMs(), limits.maxTimeoutMs());
        long fuel = Math.min(function.fuel(), limits.maxFuelPerCall());
        if (memoryPages == function.memoryPages() && timeoutMs == function.timeoutMs() && fuel == function.fuel()) {
            return function;
        }
        return new FunctionSpec(function.tenant(), function.name(), function.digest(), function.size(), memoryPages,
                timeoutMs, function.deployedAt(), fuel);
    }

    Ticket admit(Tenant tenant, TenantLimits limits, FunctionSpec function, QuotaHeaders headers) {
        Optional<ConcurrencyLimiter.Lease> lease = slot(tenant, limits, function, headers);
        Optional<FuelBudget.Reservation> reservation = Optional.empty();
        try {
            reservation = fuel(tenant, limits, function, headers);
            // Counted last: an invocation refused for a slot or for fuel does not use up the tenant's count.
            if (limits.invocationsPerMinute() > 0) {
                count(tenant, QuotaPolicy.perMinute(limits.invocationsPerMinute()), headers);
            }
            if (limits.invocationsPerDay() > 0) {
                count(tenant, QuotaPolicy.perDay(limits.invocationsPerDay()), headers);
            }
            return new Ticket(lease, reservation);
        } catch (RuntimeException e) {
            reservation.ifPresent(r -> r.settle(0));
            lease.ifPresent(ConcurrencyLimiter.Lease::close);
            throw e;
        }
    }

    private Optional<ConcurrencyLimiter.Lease> slot(Tenant tenant, TenantLimits limits, FunctionSpec function,
                                                    QuotaHeaders headers) {
        if (limits.maxConcurrency() <= 0) {
            return Optional.empty();
        }
        int limit = (int) Math.min(Integer.MAX_VALUE, limits.maxConcurrency());
        ConcurrencyDecision slot = quotas.concurrency().tryAcquire(tenant.uid(), limit,
                Duration.ofMillis(function.timeoutMs()).multipliedBy(2).plus(LEASE_SLACK));
        headers.add("concurrency", limit, 0, "concurrent-requests", limit - slot.inFlight(), 0);
        if (!slot.granted()) {
            quotas.usage().throttled(tenant.uid());
            throw headers.applyTo(ProblemException.of(ProblemType.CONCURRENCY_LIMITED,
                            "tenant " + tenant.id() + " already has " + slot.inFlight() + " of its " + limit
                                    + " invocations in flight")
                    .header("Retry-After", "1").with("retry-after", 1));
        }
        return slot.lease();
    }

    private Optional<FuelBudget.Reservation> fuel(Tenant tenant, TenantLimits limits, FunctionSpec function,
                                                  QuotaHeaders headers) {
        if (limits.fuelPerDay() <= 0) {
            return Optional.empty();
        }
        FuelDecision fuel = quotas.fuel().reserve(tenant.uid(), limits.fuelPerDay(), function.fuel());
        headers.add("fuel-day", limits.fuelPerDay(), 86_400, "fuel", fuel.remaining(), fuel.resetSeconds());
        if (!fuel.granted()) {
            quotas.usage().throttled(tenant.uid());
            long retryAfter = Math.max(1, fuel.resetSeconds());
            throw headers.applyTo(ProblemException.of(ProblemType.FUEL_BUDGET_EXHAUSTED,
                            "tenant " + tenant.id() + " has " + fuel.remaining() + " of its " + limits.fuelPerDay()
                                    + " fuel left today; function " + function.name() + " may use " + function.fuel())
                    .header("Retry-After", Long.toString(retryAfter))
                    .with("retry-after", retryAfter));
        }
        return fuel.reservation();
    }

    private void count(Tenant tenant, QuotaPolicy policy, QuotaHeaders headers) {
        RateDecision decision = quotas.rates().tryAcquire(tenant.uid(), policy);
        headers.add(policy.name(), decision.quota(), decision.windowSeconds(), null, decision.remaining(),
                decision.resetSeconds());
        if (!decision.granted()) {
            quotas.usage().throttled(tenant.uid());
            throw headers.applyTo(ProblemException.of(ProblemType.INVOCATION_QUOTA_EXCEEDED,
                            "tenant " + tenant.id() + " used its " + decision.quota() + " invocations ("
                                    + policy.name() + ")")
                    .header("Retry-After", Long.toString(decision.retryAfterSeconds()))
                    .with("retry-after", decision.retryAfterSeconds())
                    .with("quota", policy.name()));
        }
    }
}
