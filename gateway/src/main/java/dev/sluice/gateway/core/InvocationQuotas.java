package dev.sluice.gateway.core;

import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.tenancy.quota.ConcurrencyLimiter;
import dev.sluice.tenancy.quota.ConcurrencyLimiter.ConcurrencyDecision;
import dev.sluice.tenancy.quota.FuelBudget;
import dev.sluice.tenancy.quota.FuelBudget.FuelDecision;
import dev.sluice.tenancy.quota.QuotaPolicy;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.quota.RateDecision;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.plan.TenantLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The quotas an invocation passes after the request rate, in order: an in-flight slot, the call's whole fuel limit
 * reserved from the daily budget, then invocations per minute and per day. Each refusal is its own {@link Refusal};
 * what was taken before a refusal is given back (the slot, the reservation), and so it is when a quota store fails
 * half-way. Quotas a plan sets to 0 (unlimited) are not checked at all. Thread-safe; a {@link Ticket} belongs to the
 * one thread that runs the call.
 */
final class InvocationQuotas {
    /**
     * Slack on top of the lease's time to live. The lease must outlive any real invocation: at most the function's
     * timeout waiting for a worker (the pool gives up then) plus its timeout running.
     */
    private static final Duration LEASE_SLACK = Duration.ofSeconds(30);

    private final Quotas quotas;

    InvocationQuotas(Quotas quotas) {
        this.quotas = quotas;
    }

    sealed interface Admission {}

    record Admitted(Ticket ticket, QuotaReport quotas) implements Admission {}

    record Refused(Refusal refusal, QuotaReport quotas) implements Admission {}

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

    /** {@code report} is what the request was counted against before (its rate); the admission adds to it. */
    Admission admit(Tenant owner, TenantLimits limits, FunctionSpec function, QuotaReport report) {
        // Counted by the tenant's uid (this creation of it); named to the tenant by its id.
        TenantUid tenant = owner.uid();
        TenantId name = owner.id();
        Optional<ConcurrencyLimiter.Lease> lease = Optional.empty();
        Optional<FuelBudget.Reservation> reservation = Optional.empty();
        boolean admitted = false;
        try {
            if (limits.maxConcurrency() > 0) {
                int limit = (int) Math.min(Integer.MAX_VALUE, limits.maxConcurrency());
                ConcurrencyDecision slot = quotas.concurrency().tryAcquire(tenant, limit,
                        Duration.ofMillis(function.timeoutMs()).multipliedBy(2).plus(LEASE_SLACK));
                report = report.plus(new QuotaReport.Item("concurrency", limit, 0, "concurrent-requests",
                        limit - slot.inFlight(), 0));
                if (!slot.granted()) {
                    return refused(tenant, new Refusal.ConcurrencyLimited(name, slot.inFlight(), limit), report);
                }
                lease = slot.lease();
            }
            if (limits.fuelPerDay() > 0) {
                FuelDecision fuel = quotas.fuel().reserve(tenant, limits.fuelPerDay(), function.fuel());
                report = report.plus(new QuotaReport.Item("fuel-day", limits.fuelPerDay(), 86_400, "fuel",
                        fuel.remaining(), fuel.resetSeconds()));
                if (!fuel.granted()) {
                    return refused(tenant, new Refusal.FuelBudgetExhausted(name, fuel.remaining(),
                            limits.fuelPerDay(), function.name(), function.fuel(), Math.max(1, fuel.resetSeconds())),
                            report);
                }
                reservation = fuel.reservation();
            }
            // Counted last: an invocation refused for a slot or for fuel does not use up the tenant's count.
            for (QuotaPolicy policy : counts(limits)) {
                RateDecision decision = quotas.rates().tryAcquire(tenant, policy);
                report = report.plus(new QuotaReport.Item(policy.name(), decision.quota(), decision.windowSeconds(),
                        null, decision.remaining(), decision.resetSeconds()));
                if (!decision.granted()) {
                    return refused(tenant, new Refusal.InvocationQuotaExceeded(name, decision.quota(),
                            policy.name(), decision.retryAfterSeconds()), report);
                }
            }
            admitted = true;
            return new Admitted(new Ticket(lease, reservation), report);
        } finally {
            if (!admitted) {
                release(lease, reservation); // refused, or a quota store failed half-way
            }
        }
    }

    private static List<QuotaPolicy> counts(TenantLimits limits) {
        List<QuotaPolicy> counts = new ArrayList<>(2);
        if (limits.invocationsPerMinute() > 0) {
            counts.add(QuotaPolicy.perMinute(limits.invocationsPerMinute()));
        }
        if (limits.invocationsPerDay() > 0) {
            counts.add(QuotaPolicy.perDay(limits.invocationsPerDay()));
        }
        return counts;
    }

    private Refused refused(TenantUid tenant, Refusal refusal, QuotaReport report) {
        quotas.usage().throttled(tenant);
        return new Refused(refusal, report);
    }

    private static void release(Optional<ConcurrencyLimiter.Lease> lease,
                                Optional<FuelBudget.Reservation> reservation) {
        try {
            reservation.ifPresent(r -> r.settle(0));
        } finally {
            lease.ifPresent(ConcurrencyLimiter.Lease::close);
        }
    }
}
