package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.assets.AssetLimits;
import dev.sluice.scheduler.assets.AssetTree;
import dev.sluice.scheduler.assets.FunctionAssets;
import dev.sluice.scheduler.testing.TestModules;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data directory of the first version of assets (the tree recorded only in {@code assets/index.json} version 1)
 * started by this one with {@code serve}: the function's assets are shown by the API and read by the guest, as before
 * the upgrade; a recorded tree whose function is gone is deleted.
 */
class AssetsUpgradeInvocationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;

    @Test
    void assetsRecordedOnlyInAVersionOneIndexAreServedAfterTheUpgrade() throws Exception {
        String key;
        String owner;
        try (TestServer server = TestServer.start(dataDir)) {
            key = server.tenantWithKey("acme", "{\"max-asset-bytes\": 1048576, \"scratch-bytes\": 65536}");
            assertEquals(201, server.deploy(key, "site", TestModules.load("files-wagi")).status());
            // Only to learn the owner the gateway files the tenant's trees under (its uid); removed again.
            assertEquals(200, server.call(key, "PUT", "/v1/functions/site/assets",
                    TestTars.create().file("x", "x").bytes(), "application/x-tar").status());
            owner = JSON.readTree(dataDir.resolve("assets/index.json").toFile()).get("functions").fieldNames().next();
            assertEquals(204, server.call(key, "DELETE", "/v1/functions/site/assets", null, null).status());
        }

        // What the first version left: the trees, and the index naming them (the record knows nothing).
        FunctionAssets first = FunctionAssets.open(dataDir);
        AssetLimits limits = new AssetLimits(1 << 20, 10);
        AssetTree site = first.store(owner, FunctionName.of("site"), new ByteArrayInputStream(
                TestTars.create().file("greeting.txt", "uploaded before the upgrade").bytes()), limits);
        AssetTree gone = first.store(owner, FunctionName.of("gone"), new ByteArrayInputStream(
                TestTars.create().file("old.txt", "old").bytes()), limits);
        Files.writeString(dataDir.resolve("assets/index.json"), """
                {"version": 1, "functions": {"%s": {
                  "site": {"digest": "%s", "files": %d, "bytes": %d},
                  "gone": {"digest": "%s", "files": %d, "bytes": %d}}}}
                """.formatted(owner, site.digest(), site.files(), site.bytes(), gone.digest(), gone.files(),
                gone.bytes()));

        try (TestServer server = TestServer.start(dataDir)) {
            Reply shown = server.call(key, "GET", "/v1/functions/site/assets", null, null);
            assertEquals(200, shown.status(), shown.toString());
            JsonNode assets = shown.json();
            assertEquals(site.digest(), assets.path("digest").asText());
            assertEquals("/assets", assets.path("path").asText());
            assertFalse(assets.path("writable").asBoolean(true));

            Reply call = server.call(key, "GET", "/v1/functions/site/invoke?tour", null, null);
            assertEquals(200, call.status(), call.toString());
            assertTrue(call.body().contains("read /assets/greeting.txt: uploaded before the upgrade\n"), call.body());
            assertFalse(Files.exists(dataDir.resolve("assets").resolve(gone.digest().substring(7))),
                    "the tree of a function that no longer exists is deleted");
            assertEquals(2, JSON.readTree(dataDir.resolve("assets/index.json").toFile()).get("version").asInt());
        }
    }
}
