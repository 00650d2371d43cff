package dev.sluice.scheduler.assets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.ForwardingFunctionRegistry;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.SchedulerSettings;
import dev.sluice.scheduler.files.AssetMount;
import dev.sluice.scheduler.redis.RedisFixture;
import dev.sluice.scheduler.redis.RedisFunctionIndex;
import dev.sluice.scheduler.redis.RedisModuleStore;
import dev.sluice.scheduler.redis.SchedulerRedis;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisServerExtension;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrading a data directory whose assets the first version recorded only in {@code assets/index.json} version 1
 * (owner → function → tree): each tree is attached to its function's record, none is lost or attached twice whatever
 * crash happens, and trees whose function is gone (or has newer assets) are given back. On the disk registry and on
 * the shared one in a real Redis (the index is this data directory's; the records are Redis's).
 */
class AssetsUpgradeTest {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private static final SchedulerSettings SETTINGS = new SchedulerSettings(2, 1, 4, 1 << 20, 64 << 10, 8L << 20);
    private static final AssetLimits LIMITS = new AssetLimits(1 << 20, 100);
    private static final FunctionName A = FunctionName.of("a");
    private static final FunctionName GONE = FunctionName.of("gone");
    private static final FunctionName NEWER = FunctionName.of("newer");
    /** What a newer upload attached (another tree, as far as the upgrade can tell). */
    private static final AttachedAssets UPLOADED = new AttachedAssets(
            new AssetTree("sha256:" + "0".repeat(63) + "1", 1, 1), new AssetMount("/site", false));
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;

    @Test
    void onDisk() throws Exception {
        upgrades(() -> LocalScheduler.openWithoutWorkers(SETTINGS, dataDir, InstantSource.fixed(Instant.EPOCH)),
                Optional.empty());
    }

    @Test
    void onRedis() throws Exception {
        try (RedisFixture redis = new RedisFixture(REDIS.server())) {
            SchedulerRedis connection = redis.process();
            RedisModuleStore store = RedisModuleStore.create(connection);
            upgrades(() -> LocalScheduler.openShared(SETTINGS, dataDir, InstantSource.fixed(Instant.EPOCH), store,
                    RedisFunctionIndex.create(connection), () -> { }), Optional.of(new Shared(redis, store)));
        }
    }

    private record Shared(RedisFixture redis, RedisModuleStore store) {}

    private void upgrades(Supplier<LocalScheduler> open, Optional<Shared> shared) throws Exception {
        // The first version's data directory: trees stored as they still are, the index in its own format.
        FunctionAssets first = FunctionAssets.open(dataDir);
        AssetTree x = first.store("t", A, tar("x"), LIMITS);
        first.store("u", A, tar("x"), LIMITS);
        AssetTree y = first.store("t", GONE, tar("y"), LIMITS);
        AssetTree w = first.store("t", NEWER, tar("w"), LIMITS);
        Path index = dataDir.resolve("assets/index.json");
        Files.writeString(index, """
                {
                  "version" : 1,
                  "functions" : {
                    "t" : {
                      "a" : {"digest" : "%1$s", "files" : %2$d, "bytes" : %3$d},
                      "gone" : {"digest" : "%4$s", "files" : %5$d, "bytes" : %6$d},
                      "newer" : {"digest" : "%7$s", "files" : %8$d, "bytes" : %9$d}
                    },
                    "u" : {
                      "a" : {"digest" : "%1$s", "files" : %2$d, "bytes" : %3$d}
                    }
                  }
                }
                """.formatted(x.digest(), x.files(), x.bytes(), y.digest(), y.files(), y.bytes(), w.digest(),
                w.files(), w.bytes()));
        String v1 = Files.readString(index);

        try (LocalScheduler scheduler = open.get()) {
            FunctionRegistry functions = scheduler.functions();
            for (String tenant : List.of("t", "u")) {
                functions.deploy(new DeployRequest(tenant, A, TestModules.load("hello"), 16, 1000, 1 << 20,
                        1_000_000));
            }
            functions.deploy(new DeployRequest("t", NEWER, TestModules.load("hello"), 16, 1000, 1 << 20, 1_000_000));
            functions.attach("t", NEWER, Optional.of(UPLOADED));

            // A crash after the second record change, before the index is written.
            AtomicInteger attaches = new AtomicInteger();
            FunctionRegistry crashing = new ForwardingFunctionRegistry(functions) {
                @Override
                public Optional<AssetsChange> attach(String tenant, FunctionName name, AttachedAssets assets,
                                                     Supplier<byte[]> archive, boolean onlyWhenNone) {
                    Optional<AssetsChange> change = super.attach(tenant, name, assets, archive, onlyWhenNone);
                    if (attaches.incrementAndGet() == 2) {
                        throw new Crash();
                    }
                    return change;
                }
            };
            assertThrows(Crash.class, () -> FunctionAssets.open(dataDir).upgrade(crashing));
            assertEquals(v1, Files.readString(index), "the index is written last");
            assertEquals(Optional.of(new AttachedAssets(x, AssetMount.DEFAULT)),
                    functions.find("t", A).orElseThrow().assets(), "attached before the crash");

            // The next start: nothing swept, everything attached once, the rest given back.
            FunctionAssets restarted = FunctionAssets.open(dataDir);
            assertEquals(java.util.Set.of(hex(x), hex(y), hex(w)), restarted.directories(), "nothing swept");
            assertEquals(new FunctionAssets.Upgrade(2, 2, 0), restarted.upgrade(functions));
            for (String tenant : List.of("t", "u")) {
                assertEquals(Optional.of(new AttachedAssets(x, AssetMount.DEFAULT)),
                        functions.find(tenant, A).orElseThrow().assets(), tenant);
                assertEquals(List.of(x.digest()), restarted.references(tenant, A), "one reference each");
            }
            assertEquals(Optional.of(UPLOADED), functions.find("t", NEWER).orElseThrow().assets(),
                    "a newer upload is never replaced");
            assertEquals(List.of(), restarted.references("t", GONE));
            assertEquals(List.of(), restarted.references("t", NEWER));
            assertEquals(java.util.Set.of(hex(x)), restarted.directories(), "the trees given back are deleted");
            JsonNode written = JSON.readTree(index.toFile());
            assertEquals(2, written.get("version").asInt());
            assertFalse(written.has("unattached"), "nothing left to upgrade");

            // Idempotent: a third start changes nothing.
            FunctionAssets again = FunctionAssets.open(dataDir);
            assertEquals(new FunctionAssets.Upgrade(0, 0, 0), again.upgrade(functions));
            assertEquals(List.of(x.digest()), again.references("t", A));
            assertEquals(java.util.Set.of(hex(x)), again.directories());

            shared.ifPresent(s -> {
                // The attached tree is in the shared store, referenced by both functions; the others are not kept.
                assertTrue(s.store().get(x.digest()).isPresent(), "x published");
                assertEquals(Optional.empty(), s.store().get(y.digest()), "y: its function is gone");
                assertEquals(Optional.empty(), s.store().get(w.digest()), "w: its function has newer assets");
                SchedulerRedis r = s.redis().process();
                assertEquals(List.of("a:t/a", "a:u/a"), r.await(r.commands().zrange(
                        r.key("{functions}:refs:" + x.digest()), 0, -1), "refs").stream()
                        .map(b -> new String(b, StandardCharsets.UTF_8)).sorted().toList());
            });
        }
    }

    @Test
    void anUpgradeTheRegistryCannotTakeNowWaitsForTheNextStartAndSurvivesOtherWrites() throws Exception {
        FunctionAssets first = FunctionAssets.open(dataDir);
        AssetTree x = first.store("t", A, tar("x"), LIMITS);
        Path index = dataDir.resolve("assets/index.json");
        Files.writeString(index, "{\"version\":1,\"functions\":{\"t\":{\"a\":{\"digest\":\"" + x.digest()
                + "\",\"files\":" + x.files() + ",\"bytes\":" + x.bytes() + "}}}}");
        try (LocalScheduler scheduler = LocalScheduler.openWithoutWorkers(SETTINGS, dataDir,
                InstantSource.fixed(Instant.EPOCH))) {
            FunctionRegistry functions = scheduler.functions();
            functions.deploy(new DeployRequest("t", A, TestModules.load("hello"), 16, 1000, 1 << 20, 1_000_000));
            FunctionRegistry away = new ForwardingFunctionRegistry(functions) {
                @Override
                public Optional<AssetsChange> attach(String tenant, FunctionName name, AttachedAssets assets,
                                                     Supplier<byte[]> archive, boolean onlyWhenNone) {
                    throw new SchedulerException.StorageFailure("shared store: unavailable", null);
                }
            };
            FunctionAssets assets = FunctionAssets.open(dataDir);
            assertEquals(new FunctionAssets.Upgrade(0, 0, 1), assets.upgrade(away));
            // Another function's upload rewrites the index meanwhile: the pending entry is kept in it.
            assets.store("t", FunctionName.of("other"), tar("o"), LIMITS);
            assertTrue(JSON.readTree(index.toFile()).has("unattached"));

            FunctionAssets next = FunctionAssets.open(dataDir);
            assertTrue(next.local(x.digest()).isPresent(), "kept for the next start");
            assertEquals(new FunctionAssets.Upgrade(1, 0, 0), next.upgrade(functions));
            assertEquals(Optional.of(new AttachedAssets(x, AssetMount.DEFAULT)),
                    functions.find("t", A).orElseThrow().assets());
            assertEquals(List.of(x.digest()), next.references("t", A));
            assertFalse(JSON.readTree(index.toFile()).has("unattached"));
        }
    }

    @Test
    void aTreeNoLongerOnDiskIsNeverAttachedAndTheRegistryAwayStopsTheUpgradeAfterThreeFailures() throws Exception {
        FunctionAssets first = FunctionAssets.open(dataDir);
        StringBuilder v1 = new StringBuilder("{\"version\":1,\"functions\":{\"t\":{");
        for (int i = 0; i < 5; i++) {
            AssetTree tree = first.store("t", FunctionName.of("f" + i), tar("tree" + i), LIMITS);
            v1.append(i == 0 ? "" : ",").append("\"f").append(i).append("\":{\"digest\":\"").append(tree.digest())
                    .append("\",\"files\":").append(tree.files()).append(",\"bytes\":").append(tree.bytes())
                    .append("}");
            if (i == 0) {
                FunctionAssets.deleteTree(dataDir.resolve("assets").resolve(hex(tree))); // lost by hand
            }
        }
        Files.writeString(dataDir.resolve("assets/index.json"), v1.append("}}}").toString());
        try (LocalScheduler scheduler = LocalScheduler.openWithoutWorkers(SETTINGS, dataDir,
                InstantSource.fixed(Instant.EPOCH))) {
            FunctionRegistry functions = scheduler.functions();
            for (int i = 0; i < 5; i++) {
                functions.deploy(new DeployRequest("t", FunctionName.of("f" + i), TestModules.load("hello"), 16,
                        1000, 1 << 20, 1_000_000));
            }
            AtomicInteger tried = new AtomicInteger();
            FunctionRegistry away = new ForwardingFunctionRegistry(functions) {
                @Override
                public Optional<AssetsChange> attach(String tenant, FunctionName name, AttachedAssets assets,
                                                     Supplier<byte[]> archive, boolean onlyWhenNone) {
                    tried.incrementAndGet();
                    throw new SchedulerException.StorageFailure("shared store: unavailable", null);
                }
            };
            // f0's tree is gone: dropped without asking the registry; f1..f3 fail, f4 is not even tried.
            assertEquals(new FunctionAssets.Upgrade(0, 1, 4), FunctionAssets.open(dataDir).upgrade(away));
            assertEquals(3, tried.get());
            assertEquals(new FunctionAssets.Upgrade(4, 0, 0), FunctionAssets.open(dataDir).upgrade(functions));
            assertEquals(Optional.empty(), functions.find("t", FunctionName.of("f0")).orElseThrow().assets(),
                    "a record never names a tree that is not there");
            for (int i = 1; i < 5; i++) {
                assertTrue(functions.find("t", FunctionName.of("f" + i)).orElseThrow().assets().isPresent());
            }
        }
    }

    @Test
    void referencesNoRecordBacksAreGivenBackAtTheStartAndTheOthersKept() throws Exception {
        try (LocalScheduler scheduler = LocalScheduler.openWithoutWorkers(SETTINGS, dataDir,
                InstantSource.fixed(Instant.EPOCH))) {
            FunctionRegistry functions = scheduler.functions();
            FunctionName b = FunctionName.of("b");
            for (FunctionName name : List.of(A, b)) {
                functions.deploy(new DeployRequest("t", name, TestModules.load("hello"), 16, 1000, 1 << 20,
                        1_000_000));
            }
            FunctionAssets assets = FunctionAssets.open(dataDir);
            AssetTree x = assets.store("t", A, tar("x"), LIMITS);
            assets.store("t", A, tar("x"), LIMITS); // the same upload twice: two references
            functions.attach("t", A, Optional.of(new AttachedAssets(x, AssetMount.DEFAULT)));
            // A crash between storing and attaching, and a function deleted without its references given back.
            AssetTree y = assets.store("t", b, tar("y"), LIMITS);
            AssetTree z = assets.store("t", GONE, tar("z"), LIMITS);

            FunctionAssets restarted = FunctionAssets.open(dataDir);
            assertEquals(java.util.Set.of(hex(x), hex(y), hex(z)), restarted.directories(), "all referenced");
            assertEquals(3, restarted.reconcile(functions));
            assertEquals(List.of(x.digest()), restarted.references("t", A), "one, for the tree its record names");
            assertEquals(List.of(), restarted.references("t", b));
            assertEquals(List.of(), restarted.references("t", GONE));
            assertEquals(java.util.Set.of(hex(x)), restarted.directories());
            assertEquals(0, FunctionAssets.open(dataDir).reconcile(functions), "nothing more the next time");
            assertTrue(FunctionAssets.open(dataDir).local(x.digest()).isPresent());
        }
    }

    @Test
    void aGatewaysCopyIsGivenBackAtItsStartWhenAnotherGatewayReplacedTheAssets(@TempDir Path otherDir)
            throws Exception {
        try (RedisFixture redis = new RedisFixture(REDIS.server())) {
            SchedulerRedis b = redis.process();
            SchedulerRedis a = redis.process();
            try (LocalScheduler gatewayB = LocalScheduler.openShared(SETTINGS, dataDir, InstantSource.fixed(
                    Instant.EPOCH), RedisModuleStore.create(b), RedisFunctionIndex.create(b), () -> { });
                 LocalScheduler gatewayA = LocalScheduler.openShared(SETTINGS, otherDir, InstantSource.fixed(
                         Instant.EPOCH), RedisModuleStore.create(a), RedisFunctionIndex.create(a), () -> { })) {
                gatewayB.functions().deploy(new DeployRequest("t", A, TestModules.load("hello"), 16, 1000, 1 << 20,
                        1_000_000));
                FunctionAssets onB = FunctionAssets.open(dataDir);
                AssetTree x = onB.store("t", A, tar("x"), LIMITS);
                gatewayB.functions().attach("t", A, new AttachedAssets(x, AssetMount.DEFAULT),
                        () -> onB.archive(x.digest()), false);
                assertEquals(0, FunctionAssets.open(dataDir).reconcile(gatewayB.functions()), "B's record names it");

                FunctionAssets onA = FunctionAssets.open(otherDir);
                AssetTree y = onA.store("t", A, tar("y"), LIMITS);
                gatewayA.functions().attach("t", A, new AttachedAssets(y, AssetMount.DEFAULT),
                        () -> onA.archive(y.digest()), false);

                FunctionAssets restarted = FunctionAssets.open(dataDir);
                assertEquals(1, restarted.reconcile(gatewayB.functions()));
                assertEquals(Optional.empty(), restarted.local(x.digest()), "B's copy of the replaced tree is gone");
                assertEquals(java.util.Set.of(), restarted.directories());
                assertTrue(onA.local(y.digest()).isPresent(), "A's is not B's business");
            }
        }
    }

    private static final class Crash extends Error {
        Crash() {
            super("simulated crash", null, false, false);
        }
    }

    private static String hex(AssetTree tree) {
        return tree.digest().substring("sha256:".length());
    }

    private static ByteArrayInputStream tar(String content) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            byte[] data = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry entry = new TarArchiveEntry("dir/" + content + ".txt");
            entry.setSize(data.length);
            tar.putArchiveEntry(entry);
            tar.write(data);
            tar.closeArchiveEntry();
        }
        return new ByteArrayInputStream(bytes.toByteArray());
    }
}
