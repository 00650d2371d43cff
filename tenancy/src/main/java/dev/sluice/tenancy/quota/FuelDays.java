package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.TenancyException;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/** The UTC day fuel budgets count in, shared by the local and Redis budgets. */
public final class FuelDays {
    private FuelDays() {}

    public static LocalDate day(Instant now) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC);
    }

    /** Whole seconds until the next UTC midnight, at least 1. */
    public static long secondsToReset(Instant now) {
        Instant midnight = day(now).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        return Math.max(1, Math.ceilDiv(midnight.toEpochMilli() - now.toEpochMilli(), 1000L));
    }

    public static void check(long budgetPerDay, long amount) {
        if (budgetPerDay <= 0) {
            throw new TenancyException.InvalidInput("fuel-per-day: " + budgetPerDay + " (expected: > 0)");
        }
        if (amount <= 0) {
            throw new TenancyException.InvalidInput("fuel reservation: " + amount + " (expected: > 0)");
        }
    }
}
