package dev.sluice.gateway;

import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.tenancy.ConcurrencyLimiter;
import dev.sluice.tenancy.ConcurrencyLimiter.ConcurrencyDecision;
import dev.sluice.tenancy.FuelBudget;
import dev.sluice.tenancy.FuelBudget.FuelDecision;
import dev.sluice.tenancy.QuotaPolicy;
import dev.sluice.tenancy.Quotas;
import dev.sluice.tenancy.RateDecision;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantLimits;
import dev.sluice.tenancy.UsageLedger;
import java.time.Duration;
import java.util.Optional;

/**
 * The quotas an invocation passes after the request rate, in order: invocations per minute and per day, an in-flight
 * slot, then the call's whole fuel limit reserved from the daily budget. Each refusal is its own problem type with a
 * {@code Retry-After}; what was taken before a refusal is given back (the slot, the reservation). Quotas a plan sets
 * to 0 (unlimited) are not checked at all.
 */
final class InvocationAdmission {
    /** Slack added to the function's timeout for the lease: the lease must outlive any real invocation. */
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

    Ticket admit(TenantId tenant, TenantLimits limits, FunctionSpec function, QuotaHeaders headers) {
        UsageLedger usage = quotas.usage();
        if (limits.invocationsPerMinute() > 0) {
            count(tenant, QuotaPolicy.perMinute(limits.invocationsPerMinute()), headers, usage);
        }
        if (limits.invocationsPerDay() > 0) {
            count(tenant, QuotaPolicy.perDay(limits.invocationsPerDay()), headers, usage);
        }
        Optional<ConcurrencyLimiter.Lease> lease = Optional.empty();
        if (limits.maxConcurrency() > 0) {
            int limit = (int) Math.min(Integer.MAX_VALUE, limits.maxConcurrency());
            ConcurrencyDecision slot = quotas.concurrency().tryAcquire(tenant, limit,
                    Duration.ofMillis(function.timeoutMs()).plus(LEASE_SLACK));
            headers.add("concurrency", limit, 0, "concurrent-requests", limit - slot.inFlight(), 0);
            if (!slot.granted()) {
                usage.throttled(tenant);
                throw headers.applyTo(ProblemException.of(ProblemType.CONCURRENCY_LIMITED,
                                "tenant " + tenant + " already has " + slot.inFlight() + " of its " + limit
                                        + " invocations in flight")
                        .header("Retry-After", "1").with("retry-after", 1));
            }
            lease = slot.lease();
        }
        try {
            Optional<FuelBudget.Reservation> reservation = Optional.empty();
            if (limits.fuelPerDay() > 0) {
                FuelDecision fuel = quotas.fuel().reserve(tenant, limits.fuelPerDay(), function.fuel());
                headers.add("fuel-day", limits.fuelPerDay(), 86_400, "fuel", fuel.remaining(), fuel.resetSeconds());
                if (!fuel.granted()) {
                    usage.throttled(tenant);
                    throw headers.applyTo(ProblemException.of(ProblemType.FUEL_BUDGET_EXHAUSTED,
                                    "tenant " + tenant + " has " + fuel.remaining() + " of its " + limits.fuelPerDay()
                                            + " fuel left today; function " + function.name() + " may use "
                                            + function.fuel())
                            .header("Retry-After", Long.toString(Math.max(1, fuel.resetSeconds())))
                            .with("retry-after", Math.max(1, fuel.resetSeconds())));
                }
                reservation = fuel.reservation();
            }
            return new Ticket(lease, reservation);
        } catch (RuntimeException e) {
            lease.ifPresent(ConcurrencyLimiter.Lease::close);
            throw e;
        }
    }

    private void count(TenantId tenant, QuotaPolicy policy, QuotaHeaders headers, UsageLedger usage) {
        RateDecision decision = quotas.rates().tryAcquire(tenant, policy);
        headers.add(policy.name(), decision.quota(), decision.windowSeconds(), null, decision.remaining(),
                decision.resetSeconds());
        if (!decision.granted()) {
            usage.throttled(tenant);
            throw headers.applyTo(ProblemException.of(ProblemType.INVOCATION_QUOTA_EXCEEDED,
                            "tenant " + tenant + " used its " + decision.quota() + " invocations ("
                                    + policy.name() + ")")
                    .header("Retry-After", Long.toString(decision.retryAfterSeconds()))
                    .with("retry-after", decision.retryAfterSeconds())
                    .with("quota", policy.name()));
        }
    }
}
