package dev.sluice.scheduler.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's Redis connection: a process whose Redis is away at start still starts, fails calls at once with
 * {@link StorageFailure} instead of hanging, and uses Redis as soon as it is back; a password never shows in
 * messages.
 */
class SchedulerRedisTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @Test
    void withRedisAwayAtStartCallsFailAtOnceAndSucceedOnceItIsBack() throws Exception {
        try (RedisTestServer server = RedisTestServer.start()) {
            server.stop();
            var settings = new SchedulerRedis.Settings(server.uri(), false, TIMEOUT, Duration.ofMillis(500), "x:");
            long started = System.nanoTime();
            try (SchedulerRedis redis = SchedulerRedis.open(settings)) {
                assertTrue(System.nanoTime() - started < Duration.ofSeconds(10).toNanos(), "open is bounded");
                assertFalse(redis.connected());
                var e = assertThrows(StorageFailure.class, () -> redis.call("get", r -> r.get(redis.key("k"))));
                assertTrue(e.getMessage().contains("not connected"), e.getMessage());

                server.startServer();
                long back = System.nanoTime();
                byte[] value = null;
                while (value == null) {
                    assertTrue(System.nanoTime() - back < Duration.ofSeconds(30).toNanos(), "never reconnected");
                    try {
                        redis.call("set", r -> r.set(redis.key("k"), "v".getBytes(StandardCharsets.UTF_8)));
                        value = redis.call("get", r -> r.get(redis.key("k")));
                    } catch (StorageFailure notYet) {
                        Thread.sleep(50); // the connection attempt runs in the background
                    }
                }
                assertEquals("v", new String(value, StandardCharsets.UTF_8));
                assertTrue(redis.connected());
            }
        }
    }

    @Test
    void aPasswordInTheUriNeverShowsInMessages() {
        var settings = new SchedulerRedis.Settings("redis://user:s3cret@127.0.0.1:1", false, TIMEOUT, TIMEOUT, "");
        assertFalse(settings.toString().contains("s3cret"), settings.toString());
        var bad = new SchedulerRedis.Settings("http://user:s3cret@host", false, TIMEOUT, TIMEOUT, "");
        var e = assertThrows(IllegalArgumentException.class, () -> SchedulerRedis.open(bad));
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }

    @Test
    void timeoutsMustBePositiveNamingTheirKeys() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new SchedulerRedis.Settings("redis://h", false, Duration.ZERO, TIMEOUT, ""));
        assertEquals("redis-timeout-ms: 0 (expected: > 0)", e.getMessage());
    }
}
