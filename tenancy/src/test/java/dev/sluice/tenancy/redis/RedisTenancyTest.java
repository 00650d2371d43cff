package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeySpec;
import dev.sluice.tenancy.plan.Plan;

import dev.sluice.tenancy.TenancyStores;
import dev.sluice.tenancy.TenancyStoresContract;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.quota.FailPolicy;

import dev.sluice.tenancy.testing.RedisTestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Redis stores against a real redis-server; each test has its own key prefix. */
class RedisTenancyTest extends TenancyStoresContract {
    static RedisTestServer server;
    static RedisClient inspector;
    static StatefulRedisConnection<String, String> inspection;

    final String prefix = "test-" + UUID.randomUUID() + ":";
    final List<RedisTenancy> opened = new ArrayList<>();

    @BeforeAll
    static void startRedis() {
        server = RedisTestServer.start();
        inspector = RedisClient.create(server.uri());
        inspection = inspector.connect();
    }

    @AfterAll
    static void stopRedis() {
        inspection.close();
        inspector.shutdown();
        server.stop();
    }

    @AfterEach
    void closeStores() {
        opened.forEach(RedisTenancy::close);
    }

    RedisSettings settings(Duration timeout) {
        return new RedisSettings(server.uri(), false, timeout, FailPolicy.FAIL_CLOSED, 1, prefix);
    }

    RedisTenancy open(Duration cacheTtl, LongSupplier nanoTime) {
        RedisTenancy stores = RedisTenancy.open(settings(Duration.ofSeconds(2)), clock, cacheTtl, nanoTime);
        opened.add(stores);
        return stores;
    }

    /** The fake clock drives the cache too, so contract tests that advance it also age cached reads. */
    @Override
    protected RedisTenancy open() {
        return open(Duration.ofMillis(RedisTenancy.DEFAULT_CACHE_TTL_MS), clock);
    }

    @Test
    void aTenantStoredBeforeUidsKeepsItsNameAsUidAcrossUpdatesAndItsRecreationGetsANewOne() {
        RedisCommands<String, String> redis = inspection.sync();
        redis.hset(prefix + "{tenancy}:tenant:acme", java.util.Map.of("plan", "", "overrides", "{}",
                "created-at", "2024-06-01T00:00:00Z", "updated-at", "2024-06-02T00:00:00Z"));
        redis.sadd(prefix + "{tenancy}:tenants", "acme");
        RedisTenancy stores = open();

        assertEquals(TenantUid.legacy(ACME), stores.tenants().find(ACME).orElseThrow().uid());
        assertEquals(List.of(TenantUid.legacy(ACME)), stores.tenants().list().stream().map(Tenant::uid).toList());
        Tenant updated = stores.tenants().put(ACME, Optional.empty(), LimitOverrides.none().with(Limit.BURST, 2))
                .tenant();

        assertEquals(TenantUid.legacy(ACME), updated.uid(), "an update keeps it");
        assertEquals("acme", redis.hget(prefix + "{tenancy}:tenant:acme", "uid"), "and writes it");
        assertEquals(Instant.parse("2024-06-01T00:00:00Z"), updated.createdAt());

        stores.tenants().delete(ACME);
        Tenant again = stores.tenants().put(ACME, Optional.empty(), LimitOverrides.none()).tenant();
        assertTrue(again.uid().value().startsWith("acme."), again.uid().value());
        assertEquals(again.uid().value(), redis.hget(prefix + "{tenancy}:tenant:acme", "uid"));
    }

    @Override
    protected Optional<Instant> awaitLastUsed(TenancyStores writer, Optional<Instant> expected) {
        // Recording is fire-and-forget: poll a fresh reader briefly for it to land.
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        ApiKeys reader = open(Duration.ZERO, clock).keys();
        Optional<Instant> seen;
        do {
            seen = reader.list(ACME_UID).getFirst().lastUsedAt();
        } while (!seen.equals(expected) && System.nanoTime() < deadline);
        return seen;
    }

    @Test
    void aPlanChangeIsVisibleToASecondInstanceOnItsFirstReadAfterTheCacheWindow() {
        RedisTenancy writer = open();
        FakeClock readerTicker = FakeClock.atEpochDay();
        RedisTenancy reader = open(Duration.ofMillis(500), readerTicker);
        writer.plans().put(new Plan("gold", GOLD));
        writer.tenants().put(ACME, Optional.of("gold"), LimitOverrides.none());
        Tenant acme = reader.tenants().find(ACME).orElseThrow();
        assertEquals(GOLD, reader.plans().resolve(acme, DEFAULTS));

        writer.plans().put(new Plan("gold", SILVER));
        readerTicker.advance(Duration.ofMillis(500));

        assertEquals(SILVER, reader.plans().resolve(acme, DEFAULTS));
    }

    @Test
    void withoutACacheASecondInstanceSeesAPlanChangeOnItsVeryNextRead() {
        RedisTenancy writer = open();
        RedisTenancy reader = open(Duration.ZERO, clock);
        writer.plans().put(new Plan("gold", GOLD));
        assertEquals(Optional.of(new Plan("gold", GOLD)), reader.plans().find("gold"));

        writer.plans().put(new Plan("gold", SILVER));

        assertEquals(Optional.of(new Plan("gold", SILVER)), reader.plans().find("gold"));
    }

    @Test
    void revocationOnOneInstanceIsVisibleOnAnotherWithinOneSecond() {
        RedisTenancy a = open(Duration.ofMillis(RedisTenancy.DEFAULT_CACHE_TTL_MS), System::nanoTime);
        RedisTenancy b = open(Duration.ofMillis(RedisTenancy.DEFAULT_CACHE_TTL_MS), System::nanoTime);
        IssuedKey issued = a.keys().issue(ACME_UID, "ci", Optional.empty());
        assertTrue(b.keys().verify(issued.secret()).isPresent(), "b has the key cached");

        long revokedAt = System.nanoTime();
        assertTrue(a.keys().revoke(ACME_UID, issued.metadata().id()));
        assertTrue(a.keys().verify(issued.secret()).isEmpty(), "the revoking instance at once");
        while (b.keys().verify(issued.secret()).isPresent()) {
            assertTrue(System.nanoTime() - revokedAt < Duration.ofSeconds(1).toNanos(),
                    "b still accepts the revoked key after one second");
            Thread.onSpinWait();
        }
    }

    @Test
    void keysAreStoredOnlyAsHashes() {
        RedisTenancy stores = open();
        IssuedKey issued = stores.keys().issue(ACME_UID, KeySpec.named("ci").withFunctions(java.util.Set.of("resize")));
        IssuedKey rotated = stores.keys().rotate(ACME_UID, issued.metadata().id(), Duration.ofHours(1), Optional.empty())
                .orElseThrow().replacement();
        stores.keys().verify(rotated.secret());

        String everything = dump();

        assertTrue(everything.contains(issued.metadata().id()), "sanity: the dump holds the keys");
        for (IssuedKey key : List.of(issued, rotated)) {
            String secretPart = key.secret().substring(key.secret().length() - 43);
            assertFalse(everything.contains(secretPart), "secret found in Redis");
        }
    }

    @Test
    void theLayoutUsesTheKeyPrefixAndOneHashTag() {
        RedisTenancy stores = open();
        stores.plans().put(new Plan("gold", GOLD));
        stores.tenants().put(ACME, Optional.of("gold"), LimitOverrides.none());
        stores.keys().issue(ACME_UID, "ci", Optional.empty());

        List<String> keys = inspection.sync().keys(prefix + "*").stream().sorted().toList();

        assertTrue(keys.stream().allMatch(k -> k.startsWith(prefix + "{tenancy}:")), keys.toString());
        assertTrue(keys.containsAll(List.of(prefix + "{tenancy}:plan:gold", prefix + "{tenancy}:plans",
                prefix + "{tenancy}:plan-tenants:gold", prefix + "{tenancy}:tenant:acme",
                prefix + "{tenancy}:tenants", prefix + "{tenancy}:tenant-keys:acme", prefix + "{tenancy}:key-seq")),
                keys.toString());
    }

    @Test
    void corruptValuesFailNamingTheRedisKey() {
        RedisTenancy stores = open(Duration.ZERO, clock);
        stores.plans().put(new Plan("gold", GOLD));
        inspection.sync().set(prefix + "{tenancy}:plan:gold", "{\"burst\": -1}");

        TenancyException.StorageFailure e = assertThrows(TenancyException.StorageFailure.class,
                () -> stores.plans().find("gold"));

        assertTrue(e.getMessage().contains(prefix + "{tenancy}:plan:gold"), e.getMessage());
        assertTrue(e.getMessage().contains("limits.burst: -1"), e.getMessage());
    }

    @Test
    void whenRedisIsDownReadsFailWithinTheCommandTimeoutAndRecoverWhenItIsBack() {
        Duration timeout = Duration.ofMillis(200);
        RedisTenancy stores = RedisTenancy.open(settings(timeout), clock, Duration.ZERO, clock);
        opened.add(stores);
        IssuedKey issued = stores.keys().issue(ACME_UID, "ci", Optional.empty());
        server.stop();
        try {
            for (Runnable read : List.<Runnable>of(
                    () -> stores.keys().verify(issued.secret()),
                    () -> stores.tenants().find(ACME),
                    () -> stores.plans().find("gold"),
                    () -> stores.keys().issue(ACME_UID, "while-down", Optional.empty()))) {
                long start = System.nanoTime();
                TenancyException.StoreUnavailable e = assertThrows(TenancyException.StoreUnavailable.class,
                        read::run);
                long tookMs = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertTrue(tookMs < 1_000, "took " + tookMs + " ms with a 200 ms timeout");
                assertTrue(e.getMessage().startsWith("tenancy store: "), e.getMessage());
            }
        } finally {
            server.startServer();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try {
                stores.plans().put(new Plan("gold", GOLD));
                break;
            } catch (TenancyException.StoreUnavailable notYet) {
                assertTrue(System.nanoTime() < deadline, "no recovery within 5 s of Redis coming back");
                Thread.onSpinWait();
            }
        }
        assertEquals(Optional.of(new Plan("gold", GOLD)), stores.plans().find("gold"));
    }

    @Test
    void openingWithRedisDownReturnsNotReadyAndCallsFailClearlyWithoutThePassword() {
        RedisSettings unreachable = new RedisSettings("redis://user:hunter2@127.0.0.1:1", false,
                Duration.ofMillis(200), FailPolicy.FAIL_CLOSED, 1, prefix);

        RedisTenancy stores = RedisTenancy.open(unreachable, clock);
        opened.add(stores);

        assertFalse(stores.ready());
        TenancyException.StoreUnavailable e = assertThrows(TenancyException.StoreUnavailable.class,
                () -> stores.plans().find("gold"));
        assertTrue(e.getMessage().startsWith("tenancy store: not connected to Redis yet"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void openedWhileRedisIsDownItConnectsInTheBackgroundOnceRedisStarts() throws Exception {
        RedisTestServer later = RedisTestServer.start();
        later.stop();
        try {
            RedisTenancy stores = RedisTenancy.open(new RedisSettings(later.uri(), false, Duration.ofMillis(200),
                    FailPolicy.FAIL_CLOSED, 1, prefix), clock);
            opened.add(stores);
            assertFalse(stores.ready());
            assertThrows(TenancyException.StoreUnavailable.class, () -> stores.plans().find("gold"));

            later.startServer();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!stores.ready()) {
                assertTrue(System.nanoTime() < deadline, "not connected within 10 s of Redis starting");
                Thread.sleep(20); // Lettuce connects in real time
            }
            stores.plans().put(new Plan("gold", GOLD));
            assertEquals(Optional.of(new Plan("gold", GOLD)), stores.plans().find("gold"));
        } finally {
            later.close();
        }
    }

    /**
     * Prints what verify costs with the default cache (hits: no network) and without one (one round trip per call,
     * the worst case of a miss). Reproduce with
     * {@code ./mvnw -o -pl tenancy test -Dtest=RedisTenancyTest#verifyCostWithAndWithoutTheCacheIsReported}.
     */
    @Test
    void verifyCostWithAndWithoutTheCacheIsReported() {
        RedisTenancy cached = open(Duration.ofMillis(RedisTenancy.DEFAULT_CACHE_TTL_MS), System::nanoTime);
        RedisTenancy direct = open(Duration.ZERO, clock);
        IssuedKey issued = cached.keys().issue(ACME_UID, "bench", Optional.empty());
        int n = 20_000;

        double hitMicros = microsPerVerify(cached.keys(), issued.secret(), n);
        double directMicros = microsPerVerify(direct.keys(), issued.secret(), n);

        System.out.printf("verify: %.1f us with the %d ms cache (hits), %.1f us reading Redis every time"
                        + " (loopback, %d calls each)%n", hitMicros, RedisTenancy.DEFAULT_CACHE_TTL_MS, directMicros, n);
        assertTrue(hitMicros < directMicros, "a cache hit must be cheaper than a round trip");
    }

    private static double microsPerVerify(ApiKeys keys, String secret, int n) {
        for (int i = 0; i < n / 4; i++) {
            keys.verify(secret);
        }
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            if (keys.verify(secret).isEmpty()) {
                throw new AssertionError("key did not verify");
            }
        }
        return (System.nanoTime() - start) / 1_000.0 / n;
    }

    private String dump() {
        RedisCommands<String, String> redis = inspection.sync();
        StringBuilder out = new StringBuilder();
        for (String key : redis.keys(prefix + "*")) {
            out.append(key).append(" = ");
            switch (redis.type(key)) {
                case "string" -> out.append(redis.get(key));
                case "hash" -> out.append(redis.hgetall(key));
                case "set" -> out.append(redis.smembers(key));
                case "zset" -> out.append(redis.zrange(key, 0, -1));
                default -> out.append("?").append(redis.type(key));
            }
            out.append('\n');
        }
        return out.toString();
    }
}
