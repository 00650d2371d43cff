package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.quota.FuelBudget;
import dev.sluice.tenancy.quota.FuelDays;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Daily fuel per tenant in this process, with the same semantics as the Redis budget: reserve the call's whole limit
 * if it fits today's budget, refund the unused part on settle, start afresh at UTC midnight of the injected clock.
 * Today's use is a {@link DayCounters} counter named {@value #QUOTA}: persisted with the local quotas, so a restart
 * does not hand out a fresh budget; a reservation still open at a flush counts as used (never in the tenant's favour).
 *
 * <p>Threading: lock-free; each tenant's day is an {@link AtomicLong} updated by compare-and-set.
 */
public final class LocalFuelBudget implements FuelBudget {
    static final String QUOTA = "fuel-day";

    private final InstantSource clock;
    private final DayCounters days;

    /** A budget counted in memory only (the fail-open fallback of the Redis budget, tests). */
    public LocalFuelBudget(InstantSource clock) {
        this(clock, DayCounters.inMemory(clock));
    }

    public LocalFuelBudget(InstantSource clock, DayCounters days) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.days = Objects.requireNonNull(days, "days");
    }

    @Override
    public FuelDecision reserve(TenantUid tenant, long budgetPerDay, long amount) {
        Objects.requireNonNull(tenant, "tenant");
        FuelDays.check(budgetPerDay, amount);
        Instant now = clock.instant();
        DayCounters.Day day = days.today(tenant, QUOTA);
        long reset = FuelDays.secondsToReset(now);
        while (true) {
            long used = day.used.get();
            if (used > budgetPerDay - amount) {
                return new FuelDecision(false, budgetPerDay, Math.max(0, budgetPerDay - used), reset,
                        Optional.empty());
            }
            if (day.used.compareAndSet(used, used + amount)) {
                return new FuelDecision(true, budgetPerDay, budgetPerDay - used - amount, reset,
                        Optional.of(new LocalReservation(day, amount)));
            }
        }
    }

    @Override
    public void forget(TenantUid tenant) {
        days.forget(tenant);
    }

    /** Fuel counted against the tenant's day so far. */
    public long used(TenantUid tenant) {
        return days.used(tenant, QUOTA);
    }

    private static final class LocalReservation implements Reservation {
        private final DayCounters.Day day;
        private final long amount;
        private final AtomicBoolean settled = new AtomicBoolean();

        LocalReservation(DayCounters.Day day, long amount) {
            this.day = day;
            this.amount = amount;
        }

        @Override
        public void settle(long used) {
            if (settled.compareAndSet(false, true)) {
                day.used.addAndGet(-(amount - Math.min(amount, Math.max(0, used))));
            }
        }
    }
}
