package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.assets.AssetTree;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.files.AssetMount;
import dev.sluice.scheduler.redis.RedisFixture;
import dev.sluice.scheduler.redis.RedisFunctionIndex;
import dev.sluice.scheduler.redis.RedisModuleStore;
import dev.sluice.scheduler.redis.SchedulerRedis;
import dev.sluice.scheduler.shared.ModuleStore;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisServerExtension;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shared registry where processes interleave badly, each process its own connection to one real Redis: a
 * deploy overtaken by its tenant's deletion, a deploy whose reservation expired while another process deleted the
 * module, corrupt entries, and a read cache one tenant must not be able to flush. The interleavings are forced at
 * the one point a deploy waits on nothing shared: while it stores the module bytes.
 */
class SharedRegistryRacesTest {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.parse("2030-01-02T03:04:05Z"));

    private RedisFixture redis;

    @BeforeEach
    void connect() {
        redis = new RedisFixture(REDIS.server());
    }

    @AfterEach
    void close() {
        redis.close();
    }

    /** A real Redis module store that runs {@code whileStoring} inside its first {@code times} puts. */
    private record Interleaved(ModuleStore store, Runnable whileStoring, AtomicInteger times) implements ModuleStore {
        @Override
        public void put(String digest, byte[] bytes) {
            store.put(digest, bytes);
            if (times.getAndDecrement() > 0) {
                whileStoring.run();
            }
        }

        @Override
        public Optional<byte[]> get(String digest) {
            return store.get(digest);
        }

        @Override
        public void delete(String digest) {
            store.delete(digest);
        }
    }

    private static SharedFunctionRegistry registry(SchedulerRedis connection, ModuleStore store, AtomicLong nanos,
                                                   int maxReads) {
        return new SharedFunctionRegistry(RedisFunctionIndex.create(connection), store,
                new ModuleValidator(WasiImports.create()), Optional.empty(), CLOCK, 0, nanos::get, maxReads);
    }

    /** Another gateway: its own connection, an ordinary store. */
    private FunctionRegistry otherProcess() {
        SchedulerRedis connection = redis.process();
        return registry(connection, RedisModuleStore.create(connection), new AtomicLong(), 1_000);
    }

    /** A gateway whose deploys run {@code whileStoring} while storing the bytes, the first {@code times} times. */
    private FunctionRegistry interleaved(Runnable whileStoring, int times) {
        SchedulerRedis connection = redis.process();
        return registry(connection, new Interleaved(RedisModuleStore.create(connection), whileStoring,
                new AtomicInteger(times)), new AtomicLong(), 1_000);
    }

    private static DeployRequest request(String tenant, String name, String fixture) {
        return new DeployRequest(tenant, FunctionName.of(name), TestModules.load(fixture), 16, 1_000, 1 << 20,
                1_000_000L);
    }

    /** Writes a function entry behind the index's back. */
    private void writeEntry(String tenant, String name, String json) {
        SchedulerRedis connection = redis.process();
        connection.call("write entry", r -> r.hset(key("fn:" + tenant), name, json.getBytes(UTF_8)));
        connection.close();
    }

    private String key(String name) {
        return redis.settings().keyPrefix() + "{functions}:" + name;
    }

    @Test
    void aDeployOvertakenByItsTenantsDeletionFailsAndLeavesNothingBehind() {
        FunctionRegistry admin = otherProcess();
        // The admin deletes the tenant after the deploy was validated (its key still worked) but before it commits.
        FunctionRegistry gateway = interleaved(() -> admin.deleteAll("uid-1"), 1);

        var e = assertThrows(SchedulerException.InvalidInput.class,
                () -> gateway.deploy(request("uid-1", "late", "hello")));

        assertTrue(e.getMessage().contains("deleted"), e.getMessage());
        assertEquals(List.of(), admin.list("uid-1"));
        assertEquals(Optional.empty(), admin.find("uid-1", FunctionName.of("late")));
        assertEquals(List.of(key("gone:uid-1")), redis.keys(),
                "no function, reference or module bytes pinned under the dead uid; only its tombstone");
    }

    @Test
    void aDeployWhoseReservationExpiredWhileAnotherProcessDeletedTheModuleStoresItAgain() {
        FunctionRegistry other = otherProcess();
        byte[] plain = TestModules.load("plain");
        String digest = other.deploy(request("globex", "a", "plain")).spec().digest();
        ModuleStore modules = RedisModuleStore.create(redis.process());
        // This deploy pauses past its reservation while storing; meanwhile globex/a, the module's last other user,
        // is deleted, and with it the bytes this deploy just stored.
        FunctionRegistry paused = interleaved(() -> {
            expireReservations(digest);
            assertTrue(other.delete("globex", FunctionName.of("a")));
            assertTrue(modules.get(digest).isEmpty(), "the other process deleted the bytes");
        }, 1);

        FunctionSpec spec = paused.deploy(request("acme", "b", "plain")).spec();

        assertEquals(Optional.of(spec), other.find("acme", FunctionName.of("b")));
        assertArrayEquals(plain, modules.get(digest).orElseThrow(), "the function's module bytes are there");
    }

    @Test
    void aDeployWhoseReservationKeepsExpiringFailsClearlyAndStoresNothing() {
        AtomicInteger storing = new AtomicInteger();
        String digest = Digests.sha256(TestModules.load("plain"));
        FunctionRegistry paused = interleaved(() -> {
            storing.incrementAndGet();
            expireReservations(digest);
        }, Integer.MAX_VALUE);

        var e = assertThrows(StorageFailure.class, () -> paused.deploy(request("acme", "b", "plain")));

        assertTrue(e.getMessage().startsWith("shared store: ") && e.getMessage().contains("reservation"),
                e.getMessage());
        assertEquals(SharedFunctionRegistry.COMMIT_ATTEMPTS, storing.get());
        assertEquals(List.of(), redis.keys(), "no function, and its orphaned bytes were deleted");
    }

    @Test
    void anUploadWhoseReservationKeepsExpiringFailsClearlyAndLeavesTheFunctionAsItWas() {
        otherProcess().deploy(request("acme", "b", "plain"));
        List<String> before = redis.keys();
        AttachedAssets tree = new AttachedAssets(new AssetTree(Digests.sha256(new byte[] {1}), 1, 1),
                AssetMount.DEFAULT);
        AtomicInteger storing = new AtomicInteger();
        FunctionRegistry paused = interleaved(() -> {
            storing.incrementAndGet();
            expireReservations(tree.digest());
        }, Integer.MAX_VALUE);
        AtomicInteger archived = new AtomicInteger();

        var e = assertThrows(StorageFailure.class, () -> paused.attach("acme", FunctionName.of("b"), tree, () -> {
            archived.incrementAndGet();
            return new byte[] {1};
        }, false));

        assertTrue(e.getMessage().startsWith("shared store: ") && e.getMessage().contains("reservation")
                && e.getMessage().endsWith("upload again"), e.getMessage());
        assertEquals(SharedFunctionRegistry.COMMIT_ATTEMPTS, storing.get());
        assertEquals(1, archived.get(), "the archive is built once, however often it is stored");
        assertEquals(before, redis.keys(), "no assets attached, and the orphaned archive was deleted");
        assertEquals(Optional.empty(), otherProcess().find("acme", FunctionName.of("b")).orElseThrow().assets());
    }

    /** As if the deploying process had paused for longer than {@link SharedFunctionRegistry#RESERVATION}. */
    private void expireReservations(String digest) {
        SchedulerRedis connection = redis.process();
        List<String> members = connection.call("reservations", r -> r.zrange(key("refs:" + digest), 0, -1))
                .stream().map(b -> new String(b, UTF_8))
                .filter(m -> m.startsWith("d:")).toList();
        assertEquals(1, members.size(), members.toString());
        connection.call("expire", r -> r.zadd(key("refs:" + digest), 1, members.getFirst().getBytes(UTF_8)));
        connection.close();
    }

    @Test
    void corruptFunctionEntriesDoNotStopTheTenantsFunctionsBeingDeleted() {
        FunctionRegistry gateway = otherProcess();
        String hello = gateway.deploy(request("uid-7", "good", "hello")).spec().digest();
        writeEntry("uid-7", "garbage", "{not json");
        writeEntry("uid-7", "nodigest", "{\"tenant\":\"uid-7\"}");
        writeEntry("uid-7", "array", "[1,2]");

        gateway.deleteAll("uid-7");

        assertEquals(List.of(), gateway.list("uid-7"));
        assertTrue(RedisModuleStore.create(redis.process()).get(hello).isEmpty(), "the good one's module went");
        assertEquals(List.of(key("gone:uid-7")), redis.keys());
    }

    @Test
    void aCorruptEntryIsReplacedByADeployOfTheSameName() {
        FunctionRegistry gateway = otherProcess();
        writeEntry("acme", "f", "\u0000garbage");

        FunctionSpec spec = gateway.deploy(request("acme", "f", "plain")).spec();

        assertEquals(List.of(spec), gateway.list("acme"));
        assertTrue(gateway.delete("acme", FunctionName.of("f")));
        assertEquals(List.of(), redis.keys());
    }

    @Test
    void oneTenantCallingNamesItNeverDeployedDoesNotFlushAnotherTenantsFunctions() {
        var nanos = new AtomicLong();
        try (var server = RedisTestServer.start(); var own = new RedisFixture(server)) {
            SchedulerRedis connection = own.process();
            FunctionRegistry reader = registry(connection, RedisModuleStore.create(connection), nanos, 8);
            FunctionSpec spec = reader.deploy(request("acme", "greet", "hello")).spec();
            assertEquals(Optional.of(spec), reader.find("acme", FunctionName.of("greet")));

            for (int i = 0; i < 100; i++) { // far more names than the cache holds
                assertEquals(Optional.empty(), reader.find("mallory", FunctionName.of("n" + i)));
            }
            server.stop();
            nanos.addAndGet(TimeUnit.SECONDS.toNanos(60));

            assertEquals(Optional.of(spec), reader.find("acme", FunctionName.of("greet")),
                    "still served from its last read while the store is away");
        }
    }

    @Test
    void theReadCacheDropsTheLeastRecentlyFoundFunctionFirst() {
        var nanos = new AtomicLong();
        try (var server = RedisTestServer.start(); var own = new RedisFixture(server)) {
            SchedulerRedis connection = own.process();
            FunctionRegistry reader = registry(connection, RedisModuleStore.create(connection), nanos, 2);
            FunctionSpec a = reader.deploy(request("acme", "a", "plain")).spec();
            FunctionSpec b = reader.deploy(request("acme", "b", "plain")).spec();
            FunctionSpec c = reader.deploy(request("acme", "c", "plain")).spec();
            reader.find("acme", a.name());
            reader.find("acme", b.name());
            reader.find("acme", a.name()); // a is now the most recently found
            reader.find("acme", c.name()); // one too many: b goes
            server.stop();
            nanos.addAndGet(TimeUnit.SECONDS.toNanos(60));

            assertEquals(Optional.of(a), reader.find("acme", a.name()));
            assertEquals(Optional.of(c), reader.find("acme", c.name()));
            assertThrows(StorageFailure.class, () -> reader.find("acme", b.name()));
        }
    }
}
