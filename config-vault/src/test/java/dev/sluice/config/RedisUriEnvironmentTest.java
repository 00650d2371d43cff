package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code redis-uri} from {@code $SLUICE_REDIS_URI} when the configuration sets none, the rule
 * {@code worker-secret} follows with {@code $SLUICE_WORKER_SECRET}: the configuration wins, a malformed variable
 * stops the start naming the variable and not its value.
 */
class RedisUriEnvironmentTest {
    private static final String FROM_ENV = "redis://:env-password-123@redis.sluice.svc:6379/0";
    private static final Map<String, String> ENV = Map.of(StoreConfig.REDIS_URI_ENV, FROM_ENV);

    private static SluiceConfig file(Map<String, String> values) {
        return SluiceConfig.from(ConfigSource.of("sluice.conf", values));
    }

    @Test
    void aConfigurationWithoutRedisUriTakesTheVariable() {
        SluiceConfig config = file(Map.of("tenancy-store", "redis")).withEnvironment(ENV);
        assertEquals(FROM_ENV, config.stores().redisUri());
        assertEquals(FROM_ENV, config.stores().effectiveRedisUri());
        assertEquals("redis", config.stores().tenancyStore(), "every other key is kept");
        assertFalse(config.stores().toString().contains("env-password-123"), config.stores().toString());
    }

    @Test
    void theConfigurationsOwnRedisUriWinsOverTheVariable() {
        SluiceConfig config = file(Map.of("redis-uri", "redis://file-host:6380")).withEnvironment(ENV);
        assertEquals("redis://file-host:6380", config.stores().effectiveRedisUri());
    }

    @Test
    void withoutEitherTheDefaultOnLoopbackApplies() {
        SluiceConfig none = file(Map.of());
        assertEquals("", none.stores().redisUri(), "unset, so the environment can still supply it");
        assertSame(none, none.withEnvironment(Map.of()));
        assertSame(none, none.withEnvironment(Map.of(StoreConfig.REDIS_URI_ENV, "")), "empty is unset");
        assertEquals(StoreConfig.DEFAULT_REDIS_URI, none.stores().effectiveRedisUri());
        assertEquals("redis://127.0.0.1:6379", StoreConfig.DEFAULT_REDIS_URI);
    }

    @Test
    void anUnsetRedisUriStaysUnsetThroughWithSoCodeBuiltConfigurationsTakeTheVariableToo() {
        SluiceConfig built = SluiceConfig.defaults().with(Map.of("tenancy-store", "redis"));
        assertFalse(built.asMap().containsKey("redis-uri"), "absent when unset, like worker-secret");
        assertEquals(FROM_ENV, built.withEnvironment(ENV).stores().redisUri());
        assertEquals(FROM_ENV, built.withEnvironment(ENV).with(Map.of("workers", "3")).stores().redisUri(),
                "once resolved, it round-trips");
    }

    @Test
    void aMalformedVariableStopsTheStartNamingItWithoutItsValue() {
        for (String bad : new String[] {"http://user:hunter2-secret@redis:6379", "redis:/user:hunter2-secret@r:1",
                "hunter2-secret"}) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> file(Map.of()).withEnvironment(Map.of(StoreConfig.REDIS_URI_ENV, bad)), bad);
            assertTrue(e.getMessage().startsWith("$SLUICE_REDIS_URI: not a Redis URI (expected: redis://"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), "the message shows the value: " + e.getMessage());
        }
    }

    @Test
    void aMalformedVariableIsIgnoredWhenTheConfigurationSetsRedisUri() {
        SluiceConfig config = file(Map.of("redis-uri", "redis://file-host:6380"))
                .withEnvironment(Map.of(StoreConfig.REDIS_URI_ENV, "not a uri"));
        assertEquals("redis://file-host:6380", config.stores().redisUri(), "the variable is not even read");
    }
}
