package dev.sluice.tenancy;

import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Daily fuel per tenant in this process, with the same semantics as the Redis budget: reserve the call's whole limit
 * if it fits today's budget, refund the unused part on settle, start afresh at UTC midnight of the injected clock.
 *
 * <p>Threading: lock-free; each tenant's day is an {@link AtomicLong} updated by compare-and-set.
 */
final class LocalFuelBudget implements FuelBudget {
    private final InstantSource clock;
    private final ConcurrentHashMap<TenantId, Day> days = new ConcurrentHashMap<>();

    LocalFuelBudget(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public FuelDecision reserve(TenantId tenant, long budgetPerDay, long amount) {
        Objects.requireNonNull(tenant, "tenant");
        FuelDays.check(budgetPerDay, amount);
        Instant now = clock.instant();
        LocalDate today = FuelDays.day(now);
        Day day = days.compute(tenant, (t, current) ->
                current != null && !current.day.isBefore(today) ? current : new Day(today));
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

    /** Fuel counted against the tenant's day so far. */
    long used(TenantId tenant) {
        Day day = days.get(tenant);
        return day == null || !day.day.equals(FuelDays.day(clock.instant())) ? 0 : day.used.get();
    }

    private static final class Day {
        final LocalDate day;
        final AtomicLong used = new AtomicLong();

        Day(LocalDate day) {
            this.day = day;
        }
    }

    private static final class LocalReservation implements Reservation {
        private final Day day;
        private final long amount;
        private final AtomicBoolean settled = new AtomicBoolean();

        LocalReservation(Day day, long amount) {
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
