package dev.sluice.scheduler;

import dev.sluice.scheduler.redis.RedisFixture;
import dev.sluice.scheduler.redis.RedisFunctionIndex;
import dev.sluice.scheduler.redis.RedisModuleStore;
import dev.sluice.scheduler.redis.SchedulerRedis;
import dev.sluice.scheduler.shared.ModuleStore;
import dev.sluice.tenancy.testing.RedisServerExtension;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The registry contract on the shared registry: metadata and module bytes in a real Redis. */
class RedisRegistryContractTest extends RegistryContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @TempDir
    Path dataDir;

    private RedisFixture redis;
    private SchedulerRedis connection;

    @BeforeEach
    void connect() {
        redis = new RedisFixture(REDIS.server());
        connection = redis.process();
    }

    @AfterEach
    void disconnect() {
        redis.close();
    }

    @Override
    LocalScheduler open() {
        scheduler = LocalScheduler.openShared(SETTINGS, dataDir, InstantSource.fixed(NOW),
                RedisModuleStore.create(connection), RedisFunctionIndex.create(connection), () -> { });
        return scheduler;
    }

    @Override
    ModuleStore modules() {
        return RedisModuleStore.create(connection);
    }

    @Override
    boolean storesNothing() {
        // A deleted owner's tombstone is no trace of a function: it refuses deploys that raced the deletion.
        return redis.keys().stream().allMatch(k -> k.contains("{functions}:gone:"));
    }

    @Override
    void storeRecordWithoutAssets(String tenant, String name) {
        // A large fuel budget too: changing the assets must not round it (the scripts never parse numbers).
        connection.await(connection.commands().hset(connection.key("{functions}:fn:" + tenant), name,
                ("{\"tenant\":\"" + tenant + "\",\"name\":\"" + name + "\",\"digest\":\"sha256:" + "ab".repeat(32)
                        + "\",\"size\":10,\"memoryPages\":16,\"timeoutMs\":1000,\"deployedAt\":"
                        + "\"2030-01-01T00:00:00Z\",\"fuel\":9007199254740993}").getBytes()), "old record");
    }

    @org.junit.jupiter.api.Test
    void assetsAreNeverWrittenIntoACorruptEntry() {
        String key = connection.key("{functions}:fn:acme");
        connection.await(connection.commands().hset(key, "bad", "not json".getBytes()), "corrupt");
        var functions = open().functions();
        org.junit.jupiter.api.Assertions.assertThrows(SchedulerException.StorageFailure.class,
                () -> functions.attach("acme", FunctionName.of("bad"), java.util.Optional.of(assets(1))));
        org.junit.jupiter.api.Assertions.assertEquals("not json", new String(connection.await(
                connection.commands().hget(key, "bad"), "read")), "left as it was");
    }
}
