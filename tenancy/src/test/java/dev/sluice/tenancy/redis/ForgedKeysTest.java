package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.auth.KeyFormat;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.local.ApiKeysTest;
import dev.sluice.tenancy.quota.FailPolicy;

import dev.sluice.tenancy.testing.RedisCommandStats;
import dev.sluice.tenancy.testing.RedisTestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What unauthenticated traffic costs the key store, counted by the real redis-server itself ({@code INFO
 * commandstats}): a key read is one {@code HMGET}.
 */
class ForgedKeysTest {
    static RedisTestServer server;
    static RedisClient inspector;
    static StatefulRedisConnection<String, String> inspection;

    final FakeClock clock = FakeClock.atEpochDay();
    final SecureRandom random = new SecureRandom();
    RedisTenancy stores;

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
    void close() {
        if (stores != null) {
            stores.close();
        }
    }

    /** The fake clock drives the cache: nothing expires unless a test says so. */
    ApiKeys keys() {
        RedisSettings settings = new RedisSettings(server.uri(), false, Duration.ofSeconds(2), FailPolicy.FAIL_CLOSED,
                1, "test-" + UUID.randomUUID() + ":");
        stores = RedisTenancy.open(settings, clock, Duration.ofMillis(RedisTenancy.DEFAULT_CACHE_TTL_MS), clock);
        return stores.keys();
    }

    static long keyReads() {
        return RedisCommandStats.calls(inspection.sync().info("commandstats"), "hmget");
    }

    @Test
    void aKeyWithABadChecksumIsRefusedWithoutAnyStoreRead() {
        ApiKeys keys = keys();
        IssuedKey issued = keys.issue(ApiKeysTest.ACME, "ci", Optional.empty());
        String id = issued.metadata().id();
        // Another id with the real secret and the real checksum: well-formed, unknown, and wrong by one character.
        String forged = issued.secret().replace(id, (id.charAt(0) == '0' ? "1" : "0") + id.substring(1));
        long before = keyReads();

        for (int i = 0; i < 100; i++) {
            assertTrue(keys.verify(forged).isEmpty());
            clock.advance(Duration.ofSeconds(1));   // past the cache ttl: only the checksum can spare the read
        }

        assertEquals(before, keyReads(), "a forged key must not reach Redis");
        assertTrue(keys.verify(issued.secret()).isPresent());
        assertEquals(before + 1, keyReads(), "the genuine key is one read");
    }

    @Test
    void aFloodOfUnknownWellFormedKeysDoesNotEvictACachedGoodKey() {
        ApiKeys keys = keys();
        IssuedKey issued = keys.issue(ApiKeysTest.ACME, "ci", Optional.empty());
        assertTrue(keys.verify(issued.secret()).isPresent());
        long before = keyReads();

        int flood = RedisTenancy.MAX_CACHED;
        for (int i = 0; i < flood; i++) {
            // Shaped like keys from before the checksum, which carry none and so reach the store.
            String unknown = "sluice_sk_" + KeyFormat.newId(random) + "_" + KeyFormat.newSecret(random);
            assertTrue(keys.verify(unknown).isEmpty());
        }
        long afterFlood = keyReads();

        assertTrue(keys.verify(issued.secret()).isPresent());
        assertEquals(afterFlood, keyReads(), "the good key answers from the cache after the flood");
        assertEquals(before + flood, afterFlood, "each distinct unknown id is read once");
    }

    @Test
    void anUnknownIdIsReadOncePerCacheTtlHoweverOftenItIsPresented() {
        ApiKeys keys = keys();
        String unknown = "sluice_sk_" + KeyFormat.newId(random) + "_" + KeyFormat.newSecret(random);
        long before = keyReads();

        for (int i = 0; i < 1000; i++) {
            assertTrue(keys.verify(unknown).isEmpty());
        }
        assertEquals(before + 1, keyReads());

        clock.advance(Duration.ofMillis(RedisTenancy.DEFAULT_CACHE_TTL_MS));
        assertTrue(keys.verify(unknown).isEmpty());
        assertEquals(before + 2, keyReads());
    }

    @Test
    void keysInTheShapesBeforeTheChecksumStillVerify() {
        ApiKeys keys = keys();
        IssuedKey issued = keys.issue(ApiKeysTest.ACME, "ci", Optional.empty());

        assertEquals(Optional.of(issued.metadata()), keys.verify(ApiKeysTest.unchecked(issued)));
        assertEquals(Optional.of(issued.metadata()),
                keys.verify("sk_" + issued.metadata().id() + "_" + ApiKeysTest.secretPart(issued)));
        assertEquals(Optional.of(issued.metadata()), keys.verify(issued.secret()));
    }
}
