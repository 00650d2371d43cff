package dev.sluice.tenancy.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

class RedisTestServerTest {
    @Test
    void startsARealRedisThatCanBeStoppedAndRestartedOnTheSamePort() {
        try (RedisTestServer redis = RedisTestServer.start()) {
            RedisClient client = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                connection.sync().set("k", "v");
                assertEquals("v", connection.sync().get("k"));
            }
            redis.stop();
            assertThrows(RedisConnectionException.class, client::connect);
            redis.startServer();
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                assertEquals(null, connection.sync().get("k"), "nothing is persisted across a restart");
            } finally {
                client.shutdown();
            }
        }
    }
}
