package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.assets.AssetLimits;
import dev.sluice.scheduler.assets.FunctionAssets;
import dev.sluice.scheduler.redis.RedisModuleStore;
import dev.sluice.scheduler.redis.SchedulerRedis;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code tenancy-store = redis}, an upload is published to the shared module store as its canonical archive: a
 * process with another data directory (a worker's) resolves the tree by its digest and gets the same files. It
 * stays there while any function of any tenant names it (a tenant deleted), and goes with the last one.
 */
class SharedAssetsOnRedisTest {
    @Test
    void anotherDataDirectoryResolvesUploadedAssetsByDigestThroughRedis(@TempDir Path dir) throws Exception {
        try (RedisTestServer redis = RedisTestServer.start()) {
            Map<String, String> shared = Map.of("tenancy-store", "redis", "redis-uri", redis.uri(),
                    "redis-timeout-ms", "2000");
            try (TestServer server = TestServer.start(dir.resolve("gateway"), shared)) {
                String key = server.tenantWithKey("acme", "{\"max-asset-bytes\": 1048576}");
                assertEquals(201, server.deploy(key, "site", TestModules.load("hello")).status());
                byte[] tar = TestTars.create().file("templates/index.html", "<h1>hi</h1>").bytes();
                Reply uploaded = server.call(key, "PUT", "/v1/functions/site/assets", tar, "application/x-tar");
                assertEquals(200, uploaded.status(), uploaded.toString());
                String digest = uploaded.json().get("digest").asText();

                SluiceConfig config = SluiceConfig.defaults().with(shared);
                try (SchedulerRedis connection = SchedulerRedis.open(SchedulerRedis.Settings.from(config.stores()))) {
                    Path tree = FunctionAssets.open(dir.resolve("worker"))
                            .resolve(digest, RedisModuleStore.create(connection), new AssetLimits(1 << 20, 1000))
                            .orElseThrow();
                    assertEquals("<h1>hi</h1>", Files.readString(tree.resolve("templates/index.html")));
                    assertEquals(tree.getFileName().toString(), digest.substring("sha256:".length()));

                    // The same files for another tenant's function: one tree in the store, referenced twice.
                    RedisModuleStore store = RedisModuleStore.create(connection);
                    String other = server.tenantWithKey("other", "{\"max-asset-bytes\": 1048576}");
                    assertEquals(201, server.deploy(other, "copy", TestModules.load("hello")).status());
                    assertEquals(digest, server.call(other, "PUT", "/v1/functions/copy/assets", tar,
                            "application/x-tar").json().get("digest").asText());
                    assertEquals(204, server.admin("DELETE", "/admin/v1/tenants/acme", null).status());
                    assertEquals(true, store.get(digest).isPresent(), "acme deleted, other's function names it");
                    assertEquals(204, server.call(other, "DELETE", "/v1/functions/copy", null, null).status());
                    assertEquals(false, store.get(digest).isPresent(), "no function names it: gone from Redis");
                }
            }
        }
    }
}
