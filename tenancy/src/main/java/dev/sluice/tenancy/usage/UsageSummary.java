package dev.sluice.tenancy.usage;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import java.time.LocalDate;
import java.util.Map;
import java.util.Objects;

/**
 * Usage summed over the UTC days {@code from} to {@code to} (both included), per tenant asked for: every tenant asked
 * for has totals, zeros when it used nothing in those days. Read by {@link UsageLedger#summary}.
 */
public record UsageSummary(LocalDate from, LocalDate to, Map<TenantUid, Totals> tenants) {
    public UsageSummary {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (from.isAfter(to)) {
            throw new TenancyException.InvalidInput("from: " + from + " (expected: not after " + to + ")");
        }
        tenants = Map.copyOf(tenants);
    }

    /** A tenant's totals; zeros for a tenant not asked for. */
    public Totals of(TenantUid tenant) {
        return tenants.getOrDefault(tenant, Totals.ZERO);
    }

    /** Invocations, failed invocations, throttled requests and fuel, summed. */
    public record Totals(long invocations, long errors, long throttles, long fuel) {
        public static final Totals ZERO = new Totals(0, 0, 0, 0);

        public Totals plus(long invocations, long errors, long throttles, long fuel) {
            return new Totals(this.invocations + invocations, this.errors + errors, this.throttles + throttles,
                    this.fuel + fuel);
        }

        public Totals plus(DailyUsage day) {
            return plus(day.invocations(), day.errors(), day.throttles(), day.fuel());
        }
    }

    /**
     * The days a summary covers: the last {@code days} UTC days up to {@code today}, today included.
     *
     * @throws TenancyException.InvalidInput when {@code days} is outside 1..{@link UsageLedger#RETENTION_DAYS}
     */
    public static LocalDate firstDay(LocalDate today, int days) {
        if (days < 1 || days > UsageLedger.RETENTION_DAYS) {
            throw new TenancyException.InvalidInput("days: " + days + " (expected: 1.."
                    + UsageLedger.RETENTION_DAYS + ")");
        }
        return today.minusDays(days - 1L);
    }
}
