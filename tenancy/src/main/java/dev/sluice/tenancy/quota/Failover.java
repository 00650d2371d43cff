package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.internal.RateLimitedLog;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the quotas do when the shared store cannot answer in time.
 *
 * <p><b>When Redis is asked</b> is the {@link CircuitBreaker}'s decision: every call while it is closed; none while it
 * is open (a sustained failure rate opened it), so callers do not each wait out the command timeout of a stalled
 * Redis; a few probes when it is half-open.
 *
 * <p><b>A call that fails</b> (while the breaker is closed, including the one whose failure opens it, or a failed
 * probe) fails alone: it throws {@link TenancyException.QuotaStoreUnavailable} (503, retry shortly) whatever the
 * policy. It is not served locally: a timed-out command may or may not have been counted in Redis, so a local grant on
 * top could admit beyond the quota. One slow call therefore costs that one call, never the gateway's exactness.
 *
 * <p><b>Once the breaker is open</b> the calls that do not ask Redis follow their tenant's {@link FailPolicy}:
 * {@link FailPolicy#FAIL_CLOSED} throws {@link TenancyException.QuotaStoreUnavailable};
 * {@link FailPolicy#FAIL_OPEN} serves from local quotas sized so that the replicas together cannot exceed the quota:
 * <ul>
 *   <li>period quotas (invocations per minute or day, fuel per day) grant at most {@code 1/replicas} of what Redis
 *       last said remained in the current period, less what this replica already granted locally since
 *       ({@link PeriodAllowance}); the first answer from Redis in the same period debits those local grants there, so
 *       Redis does not grant them a second time; a replica that never saw the count this period (or saw it more
 *       than three breaker windows before Redis went away) refuses (as fail-closed) instead of granting a fresh
 *       quota; a period that began after Redis went away is shared out in full;</li>
 *   <li>the request rate and in-flight invocations, which refill or free up by themselves, get {@code 1/replicas} of
 *       their limit (at least 1).</li>
 * </ul>
 * Fallbacks and refusals are counted and logged at most every few seconds.
 *
 * <p>Threading: thread-safe; shared state is the breaker, the allowances (each its own monitor) and counters.
 */
public final class Failover {
    private final Function<TenantId, FailPolicy> policy;
    private final int replicas;
    private final LongSupplier nanoTime;
    private final CircuitBreaker breaker;
    private final RateLimitedLog log;
    private final ConcurrentHashMap<TenantUid, ConcurrentHashMap<String, PeriodAllowance>> allowances =
            new ConcurrentHashMap<>();
    private final LongAdder fallbacks = new LongAdder();
    private final LongAdder refusals = new LongAdder();
    private final LongAdder debited = new LongAdder();
    /** How long before an outage a remainder seen in Redis may be to bound a fallback by. */
    private final long trustNanos;

    Failover(Function<TenantId, FailPolicy> policy, int replicas, LongSupplier nanoTime,
             BreakerSettings breaker, RateLimitedLog log) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.log = Objects.requireNonNull(log, "log");
        if (replicas <= 0) {
            throw new TenancyException.InvalidInput("quota-replicas: " + replicas + " (expected: > 0)");
        }
        this.replicas = replicas;
        this.breaker = new CircuitBreaker(breaker, nanoTime);
        // Three breaker windows: the breaker opens within about one window of Redis failing, and a tenant active then
        // saw its count within it; its view is stale by what other replicas granted meanwhile, so an older view (an
        // idle tenant's) is not trusted to share out.
        this.trustNanos = 3 * breaker.window().toNanos();
    }

    /** Requests served by local quotas because the store was unavailable (fail-open). */
    long fallbacks() {
        return fallbacks.sum();
    }

    /**
     * Requests refused because the store did not answer: a failed call while the breaker is closed, fail-closed
     * tenants while it is open, and period quotas this gateway has nothing to bound a fallback by.
     */
    long refusals() {
        return refusals.sum();
    }

    /** Units (invocations, fuel) granted locally and later counted in Redis once it answered again. */
    long debited() {
        return debited.sum();
    }

    CircuitBreaker breaker() {
        return breaker;
    }

    /**
     * Counts in Redis, once it answers again, what a fallback granted while it did not; returns whether it could
     * (false: not now, for instance the bucket's policy changed meanwhile — it stays owed).
     */
    interface RateDebit {
        boolean debit(TenantUid tenant, QuotaPolicy quota, long tokens);
    }

    /**
     * Counts in Redis, once it answers again, the fuel a fallback reserved while it did not, and gives back what such
     * a reservation, already counted, did not use after all.
     */
    public interface FuelDebit {
        /** Counts {@code fuel} against the tenant's budget of the day it is now. */
        void debit(TenantUid tenant, long fuel);

        /** The day {@link #debit} counts against now. */
        java.time.LocalDate today();

        /**
         * Gives {@code fuel} back to {@code day}, the day its reservation was made: a refund settled just after midnight
         * must not lower the new day's count, which never held that reservation.
         */
        void refund(TenantUid tenant, long fuel, java.time.LocalDate day);
    }

    RateLimiter rates(RateLimiter shared, RateLimiter local, RateDebit debit) {
        return new RateLimiter() {
            @Override
            public RateDecision tryAcquire(TenantUid tenant, QuotaPolicy quota) {
                if (quota.refill() == QuotaPolicy.Refill.GREEDY) {
                    return call(tenant, () -> shared.tryAcquire(tenant, quota), answer -> { },
                            () -> local.tryAcquire(tenant, share(quota)), "rate");
                }
                PeriodAllowance allowance = allowance(tenant, quota.name(), quota.refillPeriod().toNanos());
                return call(tenant, () -> shared.tryAcquire(tenant, quota),
                        answer -> repay(tenant, allowance, allowance.observe(nanoTime.getAsLong(), answer.remaining(),
                                TimeUnit.SECONDS.toNanos(answer.resetSeconds()), quota.capacity()),
                                owed -> debit.debit(tenant, quota, owed)),
                        () -> fromAllowance(tenant, quota, allowance), "rate");
            }

            @Override
            public void forget(TenantUid tenant) {
                allowances.remove(tenant);
                local.forget(tenant);
                shared.forget(tenant);
            }
        };
    }

    ConcurrencyLimiter concurrency(ConcurrencyLimiter shared, ConcurrencyLimiter local) {
        return new ConcurrencyLimiter() {
            @Override
            public ConcurrencyDecision tryAcquire(TenantUid tenant, int limit, java.time.Duration leaseTtl) {
                return call(tenant, () -> shared.tryAcquire(tenant, limit, leaseTtl), answer -> { },
                        () -> local.tryAcquire(tenant, share(limit), leaseTtl), "concurrency");
            }

            @Override
            public void forget(TenantUid tenant) {
                local.forget(tenant);
                shared.forget(tenant);
            }
        };
    }

    FuelBudget fuel(FuelBudget shared, FuelBudget local, FuelDebit debit) {
        return new FuelBudget() {
            @Override
            public FuelDecision reserve(TenantUid tenant, long budgetPerDay, long amount) {
                PeriodAllowance allowance = allowance(tenant, "fuel-day", TimeUnit.DAYS.toNanos(1));
                return call(tenant, () -> shared.reserve(tenant, budgetPerDay, amount),
                        answer -> repay(tenant, allowance, allowance.observe(nanoTime.getAsLong(), answer.remaining(),
                                TimeUnit.SECONDS.toNanos(answer.resetSeconds()), budgetPerDay),
                                owed -> {
                                    debit.debit(tenant, owed);
                                    return true;
                                }),
                        () -> fuelFromAllowance(tenant, budgetPerDay, amount, allowance, local, debit), "fuel");
            }

            @Override
            public void forget(TenantUid tenant) {
                allowances.remove(tenant);
                local.forget(tenant);
                shared.forget(tenant);
            }
        };
    }

    /** Debits in Redis what was granted locally this period; if that fails, it stays owed for the next answer. */
    private void repay(TenantUid tenant, PeriodAllowance allowance, PeriodAllowance.Debt owed,
                       java.util.function.LongPredicate debit) {
        if (owed.amount() == 0) {
            return;
        }
        boolean done;
        try {
            done = debit.test(owed.amount());
        } catch (TenancyException.QuotaStoreUnavailable e) {
            done = false;
        }
        if (done) {
            debited.add(owed.amount());
        } else {
            allowance.owe(owed);
        }
    }

    private PeriodAllowance allowance(TenantUid tenant, String name, long periodNanos) {
        return allowances.computeIfAbsent(tenant, t -> new ConcurrentHashMap<>())
                .computeIfAbsent(name, n -> new PeriodAllowance(periodNanos, trustNanos));
    }

    private RateDecision fromAllowance(TenantUid tenant, QuotaPolicy quota, PeriodAllowance allowance) {
        PeriodAllowance.Take take = allowance.take(nanoTime.getAsLong(), 1, replicas, breaker.unavailableSince());
        if (take == null) {
            throw unknown(tenant, quota.name());
        }
        long reset = seconds(take.resetNanos());
        return new RateDecision(take.granted(), quota.capacity(), quota.windowSeconds(), take.remaining(), reset,
                take.granted() ? 0 : Math.max(1, reset));
    }

    private FuelBudget.FuelDecision fuelFromAllowance(TenantUid tenant, long budgetPerDay, long amount,
                                                      PeriodAllowance allowance, FuelBudget local,
                                                      FuelDebit debit) {
        FuelDays.check(budgetPerDay, amount);
        PeriodAllowance.Take take = allowance.take(nanoTime.getAsLong(), amount, replicas,
                breaker.unavailableSince());
        if (take == null) {
            throw unknown(tenant, "fuel-per-day");
        }
        long reset = Math.max(1, seconds(take.resetNanos()));
        if (!take.granted()) {
            return new FuelBudget.FuelDecision(false, budgetPerDay, take.remaining(), reset, Optional.empty());
        }
        // The local budget holds the reservation (and its own share); the allowance is the tighter bound.
        FuelBudget.FuelDecision held = local.reserve(tenant, share(budgetPerDay), amount);
        if (!held.granted()) {
            allowance.giveBack(take.grant(), amount, nanoTime.getAsLong());
            return new FuelBudget.FuelDecision(false, budgetPerDay, Math.min(take.remaining(), held.remaining()),
                    reset, Optional.empty());
        }
        FuelBudget.Reservation reservation = held.reservation().orElseThrow();
        java.time.LocalDate reservedOn = debit.today();
        AtomicBoolean settled = new AtomicBoolean();
        return new FuelBudget.FuelDecision(true, budgetPerDay, take.remaining(), reset, Optional.of(used -> {
            if (settled.compareAndSet(false, true)) {
                reservation.settle(used);
                long refund = allowance.giveBack(take.grant(), amount - Math.min(amount, Math.max(0, used)),
                        nanoTime.getAsLong());
                if (refund > 0) {
                    // Redis answered during the call and was charged the whole reservation: refund what it did not use.
                    try {
                        debit.refund(tenant, refund, reservedOn);
                        debited.add(-refund);
                    } catch (RuntimeException lost) {
                        // The tenant stays charged the whole reservation, never beyond its budget.
                    }
                }
            }
        }));
    }

    private TenancyException.QuotaStoreUnavailable unknown(TenantUid tenant, String quota) {
        return unavailable(quota + " " + tenant + ": store unavailable, and this gateway has not seen"
                + " the count of the current period lately enough to share it out; retrying shortly", null);
    }

    private <T> T call(TenantUid tenant, Supplier<T> shared, Consumer<T> observe, Supplier<T> local, String what) {
        CircuitBreaker.Permission permission = breaker.acquire();
        if (permission == CircuitBreaker.Permission.REFUSE) {
            return fallBack(tenant, local, what, null);
        }
        T answer;
        boolean reported = false;
        try {
            answer = shared.get();
            reported = true;
        } catch (TenancyException.QuotaStoreUnavailable e) {
            reported = true;
            if (breaker.onFailure(permission)) {
                log.warn("opened", () -> "quota store failing (" + e.getMessage() + "): not asked for a while,"
                        + " tenants follow their fail policy");
            }
            // Not served locally, even by the call that opened the breaker or a probe: its command may have been
            // counted in Redis, and a local grant on top could admit beyond the quota.
            refusals.increment();
            log.warn("failed", () -> "quota store call failed (" + e.getMessage() + "); answered 503 alone ("
                    + refusals.sum() + " refusals so far)");
            throw e;
        } finally {
            if (!reported) {
                // Ended without telling anything about Redis (bad input, an Error): a probe's place is freed.
                breaker.onIgnored(permission);
            }
        }
        if (breaker.onSuccess(permission)) {
            log.info("quota store answers again; shared quotas in use");
        }
        observe.accept(answer);
        return answer;
    }

    private <T> T fallBack(TenantUid tenant, Supplier<T> local, String what,
                           TenancyException.QuotaStoreUnavailable cause) {
        if (policy.apply(tenant.name()) == FailPolicy.FAIL_CLOSED) {
            refusals.increment();
            log.warn("refused", () -> "quota store unavailable, fail-closed: refusing requests (" + refusals.sum()
                    + " so far)" + (cause == null ? "" : ": " + cause.getMessage()));
            throw cause != null ? cause : unavailable(what + " " + tenant + ": store unavailable, "
                    + "retrying shortly", null);
        }
        T answer;
        try {
            answer = local.get();
        } catch (TenancyException.QuotaStoreUnavailable unknown) {
            refusals.increment();
            log.warn("unknown", unknown::getMessage);
            throw unknown;
        }
        fallbacks.increment();
        log.warn("fallback", () -> "quota store unavailable, fail-open: local quotas, at most 1/" + replicas
                + " of what remained of each period quota (" + fallbacks.sum() + " requests so far)"
                + (cause == null ? "" : ": " + cause.getMessage()));
        return answer;
    }

    private static long seconds(long nanos) {
        return Math.ceilDiv(Math.max(0, nanos), 1_000_000_000L);
    }

    QuotaPolicy share(QuotaPolicy quota) {
        if (replicas == 1) {
            return quota;
        }
        return new QuotaPolicy(quota.name(), Math.max(1, quota.capacity() / replicas),
                Math.max(1, quota.refillTokens() / replicas), quota.refillPeriod(), quota.refill());
    }

    int share(int limit) {
        return Math.max(1, limit / replicas);
    }

    long share(long budget) {
        return Math.max(1, budget / replicas);
    }

    private static TenancyException.QuotaStoreUnavailable unavailable(String message, Throwable cause) {
        return new TenancyException.QuotaStoreUnavailable("quota store unavailable: " + message, cause);
    }
}
