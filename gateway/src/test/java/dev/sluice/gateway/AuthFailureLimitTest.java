package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.tenancy.testing.RedisCommandStats;
import dev.sluice.tenancy.testing.RedisTestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unauthenticated traffic over real HTTP: forged keys all get the same 401 and never reach the key store; one address
 * that keeps failing gets 429 {@code auth-rate-limited} with Retry-After before its keys are looked up, while keys
 * that work keep working and other addresses are not affected.
 */
class AuthFailureLimitTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dataDir;
    TestServer server;
    RedisTestServer redis;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private TestServer local() {
        server = TestServer.start(dataDir);
        return server;
    }

    /** A well-formed key with a wrong checksum: its last character changed. */
    private static String badChecksum(String key) {
        char last = key.charAt(key.length() - 1);
        return key.substring(0, key.length() - 1) + (last == 'z' ? 'y' : 'z');
    }

    /** A random key in the shape issued before checksums, which still verifies and so must be looked up. */
    private static String unknownUnchecked() {
        byte[] id = new byte[8];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        return "sluice_sk_" + HexFormat.of().formatHex(id) + "_"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    private static Reply list(TestServer server, String key) {
        return server.call(key, "GET", "/v1/functions", null, null);
    }

    @Test
    void forgedKeysGetTheSame401UntilTheAddressIsOverItsLimitThen429WithRetryAfter() {
        TestServer server = local();
        String key = server.tenantWithKey("acme", "{}");
        Reply reference = list(server, null);
        assertEquals(401, reference.status());

        String[] forged = {badChecksum(key), unknownUnchecked(), key.substring(0, key.length() - 1), "garbage"};
        for (int i = 1; i < AuthFailureLimiter.BURST; i++) {
            String presented = forged[i % forged.length];
            Reply reply = list(server, presented);
            assertEquals(401, reply.status(), presented);
            assertEquals("unauthorized", reply.problemType());
            assertEquals(reference.body(), reply.body(), "the body must not tell the cases apart");
            assertEquals("Bearer realm=\"sluice\"", reply.header("WWW-Authenticate").orElseThrow());
        }

        Reply limited = list(server, badChecksum(key));
        assertEquals(429, limited.status(), limited.toString());
        assertEquals("auth-rate-limited", limited.problemType());
        long retryAfter = AuthFailureLimiter.REFILL.toSeconds();
        assertEquals(Long.toString(retryAfter), limited.header("Retry-After").orElseThrow());
        assertEquals(retryAfter, limited.json().get("retry-after").asLong());
        assertEquals(429, list(server, null).status(), "no key at all is refused the same way");

        server.advance(AuthFailureLimiter.REFILL);
        assertEquals(401, list(server, badChecksum(key)).status(), "one attempt per refill interval");
        assertEquals(429, list(server, badChecksum(key)).status());
    }

    @Test
    void successesDoNotCountAgainstTheAddress() {
        TestServer server = local();
        String key = server.tenantWithKey("acme", "{}");
        for (int i = 0; i < 3 * AuthFailureLimiter.BURST; i++) {
            assertEquals(200, list(server, key).status());
        }
        for (int i = 0; i < AuthFailureLimiter.BURST; i++) {
            assertEquals(401, list(server, badChecksum(key)).status(), "failure " + (i + 1));
        }
        assertEquals(429, list(server, badChecksum(key)).status());
    }

    /**
     * Only failures are limited, and a refused address is refused guesses, not work: a key that has authenticated
     * here still does (clients behind one NAT or proxy are not locked out by one of them guessing), while a key this
     * gateway has not seen work waits like a guess, since telling the two apart would take the very store read the
     * limit exists to save. Other addresses are not affected at all.
     */
    @Test
    void aKeyThatWorkedKeepsWorkingFromARefusedAddressAndOtherAddressesAreUnaffected() throws Exception {
        TestServer server = local();
        String used = server.tenantWithKey("acme", "{}");
        String unused = server.tenantWithKey("globex", "{}");
        assertEquals(200, list(server, used).status());
        for (int i = 0; i < AuthFailureLimiter.BURST; i++) {
            list(server, unknownUnchecked());
        }
        assertEquals(429, list(server, unknownUnchecked()).status());

        assertEquals(200, list(server, used).status(), "a key that worked here is let through");
        assertEquals(429, list(server, unused).status(), "a key never seen to work waits like a guess");

        HttpClient other = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2"))
                .connectTimeout(Duration.ofSeconds(5)).build();
        assertEquals(401, fromOtherAddress(other, server, unknownUnchecked()), "another address has its own budget");
        assertEquals(200, fromOtherAddress(other, server, unused));
        assertEquals(200, list(server, unused).status(), "once it has worked anywhere on this gateway");

        server.advance(AuthFailureLimiter.REFILL);
        assertEquals(401, list(server, unknownUnchecked()).status(), "after the refill, one more guess");
    }

    private static int fromOtherAddress(HttpClient client, TestServer server, String key)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(server.uri("/v1/functions"))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(30)).GET().build();
        return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void aRevokedKeyLosesItsPassAtTheFirstFailure() {
        TestServer server = local();
        String key = server.tenantWithKey("acme", "{}");
        assertEquals(200, list(server, key).status());
        for (int i = 0; i < AuthFailureLimiter.BURST - 1; i++) {
            list(server, unknownUnchecked());
        }
        String id = key.substring("sluice_sk_v2_".length(), "sluice_sk_v2_".length() + 16);
        assertEquals(204, server.admin("DELETE", "/admin/v1/tenants/acme/keys/" + id, null).status());

        assertEquals(401, list(server, key).status(), "revoked: the tenth failure");
        assertEquals(429, list(server, key).status(), "and no longer a key that works");
    }

    /** The key store is Redis here; Redis itself counts the reads. */
    @Test
    void withRedisTenancyAFloodOfForgedKeysIssuesNoRedisReads() {
        redis = RedisTestServer.start();
        server = TestServer.start(dataDir, Map.of("tenancy-store", "redis", "redis-uri", redis.uri(),
                "redis-timeout-ms", "1000"));
        String key = server.tenantWithKey("acme", "{}");
        assertEquals(200, list(server, key).status());
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> inspection = client.connect()) {
            long before = keyReads(inspection);

            // Spaced by the refill interval, so the address limit never engages: the checksum alone keeps them out.
            for (int i = 0; i < 300; i++) {
                assertEquals(401, list(server, badChecksum(key)).status());
                server.advance(AuthFailureLimiter.REFILL);
            }
            assertEquals(before, keyReads(inspection), "forged keys with a bad checksum: no read");

            // Keys in the old shape carry no checksum: the first BURST are looked up, then the address is refused.
            int refused = 0;
            for (int i = 0; i < 300; i++) {
                refused += list(server, unknownUnchecked()).status() == 429 ? 1 : 0;
            }
            assertEquals(300 - AuthFailureLimiter.BURST, refused);
            assertEquals(before + AuthFailureLimiter.BURST, keyReads(inspection), "only the first BURST are read");

            assertEquals(200, list(server, key).status(), "the working key still works");
        } finally {
            client.shutdown();
        }
    }

    private static long keyReads(StatefulRedisConnection<String, String> inspection) {
        return RedisCommandStats.calls(inspection.sync().info("commandstats"), "hmget");
    }
}
