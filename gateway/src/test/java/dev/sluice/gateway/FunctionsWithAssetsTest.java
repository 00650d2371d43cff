package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.assets.AssetLimits;
import dev.sluice.scheduler.assets.AssetRejection;
import dev.sluice.scheduler.assets.FunctionAssets;
import dev.sluice.scheduler.files.AssetMount;
import dev.sluice.scheduler.files.ScratchLimits;
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
 * The registry's seam for the API and the runtime: the function record names the tree ({@link FunctionSpec#assets()}),
 * {@link FunctionsWithAssets#directory} is its host directory, and the tree goes once no record on this data directory
 * points at it (replaced, detached, the function or its tenant deleted), never before, not even across a restart.
 */
class FunctionsWithAssetsTest {
    private static final FunctionName SITE = FunctionName.of("site");
    private static final AssetLimits LIMITS = new AssetLimits(1 << 20, 10);

    private static LocalScheduler open(Path dataDir) {
        return LocalScheduler.openWithoutWorkers(Sluice.schedulerSettings(dev.sluice.config.SluiceConfig.defaults()),
                dataDir, InstantSource.fixed(Instant.EPOCH));
    }

    private static ByteArrayInputStream tar(String name, String content) throws Exception {
        return new ByteArrayInputStream(TestTars.create().file(name, content).bytes());
    }

    @Test
    void theTreeFollowsTheFunctionRecordAndGoesWithIt(@TempDir Path dataDir) throws Exception {
        Path first;
        try (LocalScheduler scheduler = open(dataDir)) {
            FunctionsWithAssets functions = FunctionsWithAssets.over(scheduler.functions(),
                    FunctionAssets.open(dataDir), Optional.empty());
            for (String tenant : new String[] {"t1", "t2"}) {
                functions.deploy(new DeployRequest(tenant, SITE, TestModules.load("hello"), 16, 1000, 1 << 20,
                        1_000_000));
                functions.upload(tenant, SITE, tar(tenant + ".txt", tenant), LIMITS, AssetMount.DEFAULT,
                        ScratchLimits.NONE).orElseThrow();
            }
            first = functions.directory(functions.find("t1", SITE).orElseThrow().assets().orElseThrow());
            assertEquals("t1", Files.readString(first.resolve("t1.txt")));
            assertEquals(Optional.empty(), functions.upload("t1", FunctionName.of("none"), tar("a", "b"), LIMITS,
                    AssetMount.DEFAULT, ScratchLimits.NONE), "no function: nothing kept");

            FunctionSpec replaced = functions.upload("t1", SITE, tar("t1.txt", "again"), LIMITS,
                    new AssetMount("/", false), ScratchLimits.NONE).orElseThrow();
            assertFalse(Files.exists(first), "the replaced tree is deleted");
            assertEquals(new AssetMount("/", false), replaced.assets().orElseThrow().mount());
            first = functions.directory(replaced.assets().orElseThrow());
        }
        try (LocalScheduler scheduler = open(dataDir)) {
            FunctionsWithAssets functions = FunctionsWithAssets.over(scheduler.functions(),
                    FunctionAssets.open(dataDir), Optional.empty());
            var t1 = functions.find("t1", SITE).orElseThrow().assets().orElseThrow();
            assertEquals(first, functions.directory(t1), "kept across a restart: the record points at it");
            assertEquals("again", Files.readString(first.resolve("t1.txt")));

            assertEquals(Optional.empty(), functions.detach("t1", SITE).orElseThrow().assets());
            assertFalse(Files.exists(first), "detached: the tree no function uses is deleted");

            Path other = functions.directory(functions.find("t2", SITE).orElseThrow().assets().orElseThrow());
            functions.deleteAll("t2");
            assertFalse(Files.exists(other), "a deleted tenant's trees go too");
            assertThrows(SchedulerException.StorageFailure.class, () -> functions.directory(t1),
                    "a tree that is gone, with no shared store to fetch it from, is a storage failure");
        }
    }

    @Test
    void aWritableCopyMustFitTheScratchSpaceInWholeBlocksAndInodes(@TempDir Path dataDir) throws Exception {
        try (LocalScheduler scheduler = open(dataDir)) {
            FunctionsWithAssets functions = FunctionsWithAssets.over(scheduler.functions(),
                    FunctionAssets.open(dataDir), Optional.empty());
            functions.deploy(new DeployRequest("t", SITE, TestModules.load("hello"), 16, 1000, 1 << 20, 1_000_000));
            AssetMount writable = new AssetMount("/", true);
            // Two files of one byte each: two 4 KiB blocks, two inodes.
            byte[] twoFiles = TestTars.create().file("a", "1").file("b", "2").bytes();
            for (ScratchLimits tooSmall : new ScratchLimits[] {ScratchLimits.NONE, new ScratchLimits(8191, 10),
                    new ScratchLimits(8192, 1)}) {
                var e = assertThrows(SchedulerException.AssetsRejected.class, () -> functions.upload("t", SITE,
                        new ByteArrayInputStream(twoFiles), LIMITS, writable, tooSmall), tooSmall.toString());
                assertEquals(AssetRejection.EXCEEDS_SCRATCH, e.reason());
            }
            assertEquals(Optional.empty(), functions.find("t", SITE).orElseThrow().assets(), "nothing attached");
            assertEquals(java.util.Set.of(), directories(dataDir), "nothing kept");
            assertTrue(functions.upload("t", SITE, new ByteArrayInputStream(twoFiles), LIMITS, writable,
                    new ScratchLimits(8192 + 4095, 2)).isPresent(), "exactly two blocks and two inodes fit");
            assertTrue(functions.upload("t", SITE, new ByteArrayInputStream(twoFiles), LIMITS,
                    AssetMount.DEFAULT, ScratchLimits.NONE).isPresent(), "read-only needs no scratch space");
        }
    }

    @Test
    void concurrentUploadsLeaveExactlyTheTreeTheRecordNames(@TempDir Path dataDir) throws Exception {
        try (LocalScheduler scheduler = open(dataDir)) {
            FunctionsWithAssets functions = FunctionsWithAssets.over(scheduler.functions(),
                    FunctionAssets.open(dataDir), Optional.empty());
            functions.deploy(new DeployRequest("t", SITE, TestModules.load("hello"), 16, 1000, 1 << 20, 1_000_000));
            int uploads = 8;
            var start = new java.util.concurrent.CountDownLatch(1);
            try (var threads = java.util.concurrent.Executors.newFixedThreadPool(uploads)) {
                var done = new java.util.ArrayList<java.util.concurrent.Future<?>>();
                for (int i = 0; i < uploads; i++) {
                    String content = "upload " + i;
                    done.add(threads.submit(() -> {
                        start.await();
                        return functions.upload("t", SITE, tar("f.txt", content), LIMITS, AssetMount.DEFAULT,
                                ScratchLimits.NONE);
                    }));
                }
                start.countDown();
                for (var upload : done) {
                    upload.get(60, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
            String digest = functions.find("t", SITE).orElseThrow().assets().orElseThrow().digest();
            assertEquals(java.util.Set.of(digest.substring("sha256:".length())), directories(dataDir),
                    "the last attached tree stays, every replaced one is gone");
            assertTrue(Files.readString(functions.directory(functions.find("t", SITE).orElseThrow().assets()
                    .orElseThrow()).resolve("f.txt")).startsWith("upload "));
        }
    }

    private static java.util.Set<String> directories(Path dataDir) throws Exception {
        try (var children = Files.list(dataDir.resolve("assets"))) {
            return children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .collect(java.util.stream.Collectors.toSet());
        }
    }
}
