package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.redis.SharedRedis;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tenancy.testing.RedisServerExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link Quotas} keep per tenant is kept per creation of it ({@link TenantUid}), on the local and the Redis
 * backend alike: a tenant created again under a deleted one's name starts afresh even when nothing was forgotten, and
 * {@link Quotas#forget} removes every part of the deleted one's state.
 */
class TenantStateContractTest {
    static final TenantId ACME = TenantId.of("acme");
    static final Duration TTL = Duration.ofMinutes(1);

    abstract static class Contract {
        final FakeClock clock = FakeClock.atEpochDay();
        final SplittableRandom random = new SplittableRandom(9);

        abstract Quotas quotas();

        /** Every trace of the uid in the backing store (keys, file entries). */
        abstract List<String> traces(Quotas quotas, TenantUid uid);

        /** Uses up every quota of the tenant: one-a-day invocations, its one slot, its fuel; records usage. */
        static void useEverything(Quotas quotas, TenantUid tenant) {
            assertTrue(quotas.rates().tryAcquire(tenant, QuotaPolicy.rate(1, 1)).granted());
            assertTrue(quotas.rates().tryAcquire(tenant, QuotaPolicy.perMinute(1)).granted());
            assertTrue(quotas.rates().tryAcquire(tenant, QuotaPolicy.perDay(1)).granted());
            assertTrue(quotas.concurrency().tryAcquire(tenant, 1, TTL).granted()); // held: never closed
            assertTrue(quotas.fuel().reserve(tenant, 1_000, 1_000).granted());
            quotas.usage().invocation(tenant, false, 1_000);
            quotas.usage().throttled(tenant);
        }

        static void assertFresh(Quotas quotas, TenantUid tenant) {
            assertTrue(quotas.rates().tryAcquire(tenant, QuotaPolicy.rate(1, 1)).granted(), "rate");
            assertTrue(quotas.rates().tryAcquire(tenant, QuotaPolicy.perMinute(1)).granted(), "per minute");
            assertTrue(quotas.rates().tryAcquire(tenant, QuotaPolicy.perDay(1)).granted(), "per day");
            assertTrue(quotas.concurrency().tryAcquire(tenant, 1, TTL).granted(), "in flight");
            assertTrue(quotas.fuel().reserve(tenant, 1_000, 1_000).granted(), "fuel");
        }

        @Test
        void aTenantCreatedAgainUnderTheNameInheritsNoneOfTheDeletedOnesCountsEvenUnforgotten() {
            Quotas quotas = quotas();
            TenantUid deleted = TenantUid.create(ACME, random);
            useEverything(quotas, deleted);
            assertFalse(quotas.rates().tryAcquire(deleted, QuotaPolicy.perDay(1)).granted(), "used up");

            TenantUid again = TenantUid.create(ACME, random);

            assertFresh(quotas, again);
            assertEquals(List.of(), quotas.usage().daily(again, 62), "no usage history");
            assertEquals(1, quotas.usage().daily(deleted, 1).getFirst().invocations());
        }

        @Test
        void forgettingADeletedTenantRemovesItsCountsLeasesFuelAndUsage() {
            Quotas quotas = quotas();
            TenantUid deleted = TenantUid.create(ACME, random);
            TenantUid kept = TenantUid.create(TenantId.of("globex"), random);
            useEverything(quotas, deleted);
            useEverything(quotas, kept);
            quotas.flush();
            assertFalse(traces(quotas, deleted).isEmpty(), "state to forget");

            assertTrue(quotas.forget(deleted));
            quotas.flush();

            assertEquals(List.of(), traces(quotas, deleted));
            assertEquals(List.of(), quotas.usage().daily(deleted, 62));
            assertFresh(quotas, deleted);
            assertFalse(quotas.rates().tryAcquire(kept, QuotaPolicy.perDay(1)).granted(), "another tenant keeps its");
            assertFalse(quotas.concurrency().tryAcquire(kept, 1, TTL).granted());
            assertEquals(1, quotas.usage().daily(kept, 1).getFirst().invocations());
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
        List<String> traces(Quotas quotas, TenantUid uid) {
            try {
                List<String> traces = new java.util.ArrayList<>();
                try (var files = Files.list(dir)) {
                    for (Path file : files.filter(Files::isRegularFile).toList()) {
                        if (new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1)
                                .contains(uid.value())) {
                            traces.add("in " + file);
                        }
                    }
                }
                return traces;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @AfterEach
        void close() {
            quotas.close();
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
        List<String> traces(Quotas quotas, TenantUid uid) {
            return redis.inspector().sync().keys(redis.prefix + "*" + uid.value() + "*").stream().sorted().toList();
        }

        @AfterEach
        void close() throws Exception {
            quotas.close();
            redis.close();
        }

        @Test
        void forgettingWhileRedisIsAwayReportsItAndLeavesTheRestUnreachable() {
            Quotas quotas = quotas();
            TenantUid deleted = TenantUid.create(ACME, random);
            useEverything(quotas, deleted);
            REDIS.server().stop();
            try {
                assertFalse(quotas.forget(deleted), "reported, not thrown");
            } finally {
                REDIS.server().startServer();
            }
        }
    }
}
