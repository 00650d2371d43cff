package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.assets.AssetLimits;
import dev.sluice.scheduler.assets.FunctionAssets;
import dev.sluice.scheduler.testing.TestModules;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry's seam for the runtime: {@link FunctionsWithAssets#assetsDirectory} is the host directory to mount at
 * {@code /assets} while the function has assets, and nothing once the function (or its tenant) is deleted.
 */
class FunctionsWithAssetsTest {
    private static final FunctionName SITE = FunctionName.of("site");

    @Test
    void theAssetsDirectoryFollowsTheFunctionAndGoesWithIt(@TempDir Path dataDir) throws Exception {
        try (LocalScheduler scheduler = LocalScheduler.openWithoutWorkers(Sluice.schedulerSettings(
                dev.sluice.config.SluiceConfig.defaults()), dataDir, InstantSource.fixed(Instant.EPOCH))) {
            FunctionsWithAssets functions = FunctionsWithAssets.over(scheduler.functions(),
                    FunctionAssets.open(dataDir));
            for (String tenant : new String[] {"t1", "t2"}) {
                functions.deploy(new DeployRequest(tenant, SITE, TestModules.load("hello"), 16, 1000, 1 << 20,
                        1_000_000));
                functions.assets().replace(tenant, SITE, new ByteArrayInputStream(TestTars.create()
                        .file(tenant + ".txt", tenant).bytes()), new AssetLimits(1 << 20, 10));
            }
            Path dir = functions.assetsDirectory("t1", SITE).orElseThrow();
            assertEquals("t1", Files.readString(dir.resolve("t1.txt")));

            assertTrue(functions.delete("t1", SITE));
            assertEquals(Optional.empty(), functions.assetsDirectory("t1", SITE));
            assertFalse(Files.exists(dir), "the tree no function uses is deleted");

            Path other = functions.assetsDirectory("t2", SITE).orElseThrow();
            functions.deleteAll("t2");
            assertEquals(Optional.empty(), functions.assetsDirectory("t2", SITE));
            assertFalse(Files.exists(other), "a deleted tenant's trees go too");
        }
    }
}
