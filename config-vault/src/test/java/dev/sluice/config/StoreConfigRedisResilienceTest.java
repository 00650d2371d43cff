package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The connect timeout and circuit-breaker keys: defaults, overrides, and messages that name the key. */
class StoreConfigRedisResilienceTest {
    @Test
    void connectAndCommandTimeoutsAreSeparateWithDefaultsThatSurviveACold2CoreStart() {
        StoreConfig stores = SluiceConfig.defaults().stores();
        assertEquals(1_000, stores.redisTimeoutMs());
        assertEquals(2_000, stores.redisConnectTimeoutMs());
        assertEquals(5, stores.redisBreakerMinFailures());
        assertEquals(50, stores.redisBreakerFailurePercent());
        assertEquals(10_000, stores.redisBreakerWindowMs());
        assertEquals(1_000, stores.redisBreakerOpenMs());
    }

    @Test
    void everyKeyCanBeSetAndSurvivesWith() {
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("redis-connect-timeout-ms", "5000",
                "redis-breaker-min-failures", "10", "redis-breaker-failure-percent", "80",
                "redis-breaker-window-ms", "30_000", "redis-breaker-open-ms", "2500"));
        StoreConfig stores = config.with(Map.of("port", "0")).stores();
        assertEquals(5_000, stores.redisConnectTimeoutMs());
        assertEquals(10, stores.redisBreakerMinFailures());
        assertEquals(80, stores.redisBreakerFailurePercent());
        assertEquals(30_000, stores.redisBreakerWindowMs());
        assertEquals(2_500, stores.redisBreakerOpenMs());
    }

    @Test
    void badValuesNameTheirKey() {
        assertEquals("redis-breaker-failure-percent: 0 (expected: 1..100)", assertThrows(ConfigException.class,
                () -> SluiceConfig.defaults().with(Map.of("redis-breaker-failure-percent", "0"))).getMessage());
        assertEquals("redis-connect-timeout-ms: 0 (expected: 1..600000)", assertThrows(ConfigException.class,
                () -> SluiceConfig.defaults().with(Map.of("redis-connect-timeout-ms", "0"))).getMessage());
        assertEquals("redis-breaker-min-failures: 2147483647 (expected: 1..1000000)", assertThrows(
                ConfigException.class, () -> SluiceConfig.defaults().with(
                        Map.of("redis-breaker-min-failures", "99999999999"))).getMessage());
    }
}
