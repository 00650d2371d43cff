package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.assets.AssetTree;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.files.AssetMount;
import dev.sluice.scheduler.redis.RedisFixture;
import dev.sluice.scheduler.redis.RedisFunctionIndex;
import dev.sluice.scheduler.redis.RedisModuleStore;
import dev.sluice.scheduler.redis.SchedulerRedis;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisServerExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Asset trees in the shared module store (real Redis) live as modules do: referenced by every function whose record
 * names them, in any tenant, and deleted from the store by whichever step drops the last reference (detach,
 * replacement, function or tenant deletion), never while a record names them, even when an upload through one
 * gateway races a delete through another.
 */
class SharedTreesTest {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private static final FunctionName F = FunctionName.of("f");
    private static final FunctionName G = FunctionName.of("g");

    @TempDir
    Path dirA;
    @TempDir
    Path dirB;

    private RedisFixture redis;
    private SchedulerRedis connection;
    private RedisModuleStore store;
    private RedisFunctionIndex index;

    @BeforeEach
    void connect() {
        redis = new RedisFixture(REDIS.server());
        connection = redis.process();
        store = RedisModuleStore.create(connection);
        index = RedisFunctionIndex.create(connection);
    }

    @AfterEach
    void disconnect() {
        redis.close();
    }

    /** A gateway process: its own connection, data directory and registry on the same Redis keys. */
    private LocalScheduler gateway(Path dataDir) {
        SchedulerRedis own = redis.process();
        return LocalScheduler.openShared(RegistryContract.SETTINGS, dataDir, InstantSource.fixed(RegistryContract.NOW),
                RedisModuleStore.create(own), RedisFunctionIndex.create(own), () -> { });
    }

    private static AttachedAssets tree(String name) {
        byte[] digest = name.getBytes(StandardCharsets.UTF_8);
        return new AttachedAssets(new AssetTree("sha256:" + String.format("%064x",
                new java.math.BigInteger(1, digest)), 1, 1), AssetMount.DEFAULT);
    }

    private static byte[] archive(AttachedAssets tree) {
        return ("archive of " + tree.digest()).getBytes(StandardCharsets.UTF_8);
    }

    private boolean stored(AttachedAssets tree) {
        return store.get(tree.digest()).isPresent();
    }

    private List<String> refs(AttachedAssets tree) {
        return connection.await(connection.commands().zrange(connection.key("{functions}:refs:" + tree.digest()), 0,
                -1), "refs").stream().map(b -> new String(b, StandardCharsets.UTF_8)).sorted().toList();
    }

    private static void deploy(FunctionRegistry functions, String tenant, FunctionName name, String module) {
        functions.deploy(new DeployRequest(tenant, name, TestModules.load(module), 16, 1_000, 1 << 20, 1_000_000));
    }

    @Test
    void aTreeLeavesTheStoreWithTheLastFunctionThatNamesItInAnyTenant() {
        try (LocalScheduler scheduler = gateway(dirA)) {
            FunctionRegistry functions = scheduler.functions();
            AttachedAssets x = tree("x");
            AttachedAssets y = tree("y");
            AttachedAssets z = tree("z");
            deploy(functions, "t", F, "hello");
            deploy(functions, "u", G, "hello");
            functions.attach("t", F, x, () -> archive(x), false);
            functions.attach("u", G, x, () -> archive(x), false);
            assertEquals(List.of("a:t/f", "a:u/g"), refs(x), "the same tree in two tenants, referenced twice");

            assertEquals(Optional.empty(), functions.attach("t", FunctionName.of("missing"), z, () -> archive(z),
                    false));
            assertFalse(stored(z), "stored for a function that does not exist: deleted again");

            functions.attach("t", F, Optional.empty());
            assertTrue(stored(x), "detached from t/f, still named by u/g");
            functions.attach("u", G, y, () -> archive(y), false);
            assertFalse(stored(x), "replaced by the last function naming it: deleted");
            assertEquals(List.of(), refs(x));
            assertFalse(connection.await(connection.commands().exists(connection.key("{functions}:deleting:"
                    + x.digest())), "exists") > 0, "and the digest free to be uploaded again");

            functions.attach("t", F, y, () -> archive(y), false);
            deploy(functions, "t", F, "plain");
            assertEquals(Optional.of(y), index.find("t", F).orElseThrow().assets(), "a redeploy keeps the assets");
            assertEquals(List.of("a:t/f", "a:u/g"), refs(y), "and their reference");
            functions.delete("t", F);
            assertTrue(stored(y), "t/f deleted, u/g still names it");
            functions.deleteAll("u");
            assertFalse(stored(y), "the tenant deleted: no function names it");

            functions.attach("t", FunctionName.of("nope"), Optional.empty());
            assertEquals(List.of(), redis.keys().stream().filter(k -> !k.contains("{functions}:gone:")).toList(),
                    "no function, module, tree or reference left");
        }
    }

    @Test
    void anAttachWhoseReservationExpiredChangesNothingAndOrphansTheTree() {
        try (LocalScheduler scheduler = gateway(dirA)) {
            deploy(scheduler.functions(), "t", F, "hello");
            AttachedAssets x = tree("late");
            // Expired as soon as it is taken (Redis time): as if this process had paused past the reservation.
            assertTrue(index.reserve(x.digest(), "token", java.time.Duration.ZERO));
            var result = index.attach("t", F, Optional.of(x), Optional.of("token"), false);
            assertEquals(dev.sluice.scheduler.shared.FunctionIndex.Attach.Outcome.RESERVATION_LOST, result.outcome());
            assertEquals(List.of(x.digest()), result.orphaned(), "its bytes may be deleted: nothing references them");
            assertEquals(Optional.empty(), index.find("t", F).orElseThrow().assets(), "the record is unchanged");
            assertEquals(List.of(), refs(x));
            index.deleted(x.digest());
        }
    }

    @Test
    void anUploadRacingADeleteThroughAnotherGatewayNeverLeavesARecordWithoutItsTree() throws Exception {
        try (LocalScheduler a = gateway(dirA); LocalScheduler b = gateway(dirB);
             var threads = Executors.newFixedThreadPool(2)) {
            AttachedAssets x = tree("shared");
            deploy(a.functions(), "t", F, "hello");
            for (int round = 0; round < 40; round++) {
                deploy(b.functions(), "u", G, "hello");
                b.functions().attach("u", G, x, () -> archive(x), false);
                boolean detach = round % 2 == 0;
                CountDownLatch start = new CountDownLatch(1);
                var upload = threads.submit(() -> {
                    start.await();
                    return a.functions().attach("t", F, x, () -> archive(x), false);
                });
                var removal = threads.submit(() -> {
                    start.await();
                    if (detach) {
                        b.functions().attach("u", G, Optional.empty());
                    } else {
                        b.functions().delete("u", G);
                    }
                    return null;
                });
                start.countDown();
                upload.get(30, TimeUnit.SECONDS);
                removal.get(30, TimeUnit.SECONDS);
                assertEquals(Optional.of(x), index.find("t", F).orElseThrow().assets(), "round " + round);
                assertTrue(stored(x), "round " + round + ": a record names the tree, so it is in the store");
                assertEquals(List.of("a:t/f"), refs(x), "round " + round);

                // And back: the upload's function loses the tree, nothing else names it.
                a.functions().attach("t", F, Optional.empty());
                assertFalse(stored(x), "round " + round + ": no record names it, so it is gone");
                b.functions().delete("u", G);
            }
        }
    }
}
