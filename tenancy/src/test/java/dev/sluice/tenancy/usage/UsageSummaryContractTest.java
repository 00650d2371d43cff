package dev.sluice.tenancy.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.quota.FailPolicy;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.redis.SharedRedis;
import dev.sluice.tenancy.testing.RedisServerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link UsageLedger#summary}, the provider's overview of every tenant's usage, answers the same on the local and the
 * Redis ledger: sums over exactly the days asked for, zeros for a tenant that used nothing, the day range refused
 * outside 1..62, and 10,000 tenants answered in bounded time (the time is printed: see docs/tenancy.md).
 */
class UsageSummaryContractTest {
    static final TenantUid ACME = TenantUid.of("acme");
    static final TenantUid GLOBEX = TenantUid.of("globex");
    static final TenantUid IDLE = TenantUid.of("idle");

    abstract static class Contract {
        final FakeClock clock = FakeClock.atEpochDay();

        abstract Quotas quotas();

        abstract String backend();

        @Test
        void sumsEachTenantsUsageOverTheDaysAskedForAndZerosForATenantWithout() {
            Quotas quotas = quotas();
            UsageLedger usage = quotas.usage();
            usage.invocation(ACME, false, 100); // 2025-01-01: outside a 2-day window on the 3rd
            clock.advance(Duration.ofDays(1));
            usage.invocation(ACME, true, 50);
            usage.throttled(ACME);
            usage.invocation(GLOBEX, false, 7);
            clock.advance(Duration.ofDays(1));
            usage.invocation(ACME, false, 1);
            usage.throttled(GLOBEX);
            quotas.flush();

            UsageSummary two = usage.summary(List.of(ACME, GLOBEX, IDLE), 2);
            assertEquals(LocalDate.parse("2025-01-02"), two.from());
            assertEquals(LocalDate.parse("2025-01-03"), two.to());
            assertEquals(new UsageSummary.Totals(2, 1, 1, 51), two.of(ACME));
            assertEquals(new UsageSummary.Totals(1, 0, 1, 7), two.of(GLOBEX));
            assertEquals(UsageSummary.Totals.ZERO, two.of(IDLE));
            assertEquals(3, two.tenants().size(), "every tenant asked for, with or without usage");

            UsageSummary today = usage.summary(List.of(ACME), 1);
            assertEquals(today.from(), today.to());
            assertEquals(new UsageSummary.Totals(1, 0, 0, 1), today.of(ACME));
            assertEquals(new UsageSummary.Totals(3, 1, 1, 151), usage.summary(List.of(ACME), 62).of(ACME));
        }

        @Test
        void daysOutsideTheRetainedHistoryAreRefused() {
            UsageLedger usage = quotas().usage();
            for (int days : new int[] {0, -1, 63, Integer.MAX_VALUE}) {
                TenancyException.InvalidInput e = assertThrows(TenancyException.InvalidInput.class,
                        () -> usage.summary(List.of(ACME), days));
                assertEquals("days: " + days + " (expected: 1..62)", e.getMessage());
            }
        }

        @Test
        void tenThousandTenantsAreSummedInBoundedTime() {
            Quotas quotas = quotas();
            List<TenantUid> tenants = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                TenantUid tenant = TenantUid.of("tenant-" + i);
                tenants.add(tenant);
                quotas.usage().invocation(tenant, i % 10 == 0, i);
            }
            quotas.flush();
            for (int days : new int[] {1, 62}) {
                long started = System.nanoTime();
                UsageSummary summary = quotas.usage().summary(tenants, days);
                long millis = (System.nanoTime() - started) / 1_000_000;
                System.out.println("usage summary, " + backend() + ", 10000 tenants, days=" + days + ": " + millis
                        + " ms");
                assertEquals(10_000, summary.tenants().size());
                assertEquals(new UsageSummary.Totals(1, 1, 0, 9_990), summary.of(TenantUid.of("tenant-9990")));
                // Generous for a shared 2-core machine; the point is that it does not grow past tenants x days.
                assertTrue(millis < 30_000, millis + " ms");
            }
        }
    }

    @Nested
    class Local extends Contract {
        @TempDir
        Path dir;
        Quotas quotas;

        @Override
        Quotas quotas() {
            quotas = Quotas.local(dir, clock, clock);
            return quotas;
        }

        @Override
        String backend() {
            return "local";
        }

        @AfterEach
        void close() {
            if (quotas != null) {
                quotas.close();
            }
        }
    }

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Nested
    class Redis extends Contract {
        final SharedRedis redis = new SharedRedis(REDIS.server());
        Quotas quotas;

        @Override
        Quotas quotas() {
            quotas = Quotas.redis(redis.settings(FailPolicy.FAIL_CLOSED, 1), clock, clock);
            return quotas;
        }

        @Override
        String backend() {
            return "redis";
        }

        @AfterEach
        void close() throws Exception {
            if (quotas != null) {
                quotas.close();
            }
            redis.close();
        }
    }
}
