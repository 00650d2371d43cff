package dev.sluice.scheduler.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.tenancy.testing.RedisServerExtension;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Redis discovery against a real Redis, with workers and gateways on separate connections as separate processes
 * would be: a worker is visible once registered, gone at once when it deregisters, and gone within 2 s when it
 * dies without deregistering (its key expires).
 */
class RedisDiscoveryTest {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();
    private static final Duration HEARTBEAT = Duration.ofMillis(500);

    private RedisFixture redis;

    @BeforeEach
    void open() {
        redis = new RedisFixture(REDIS.server());
    }

    @AfterEach
    void close() {
        redis.close();
    }

    private static WorkerAddress worker(String id, int port) {
        return new WorkerAddress(id, "127.0.0.1", port, 8);
    }

    @Test
    void aRegisteredWorkerIsListedAndCloseRemovesItAtOnce() {
        try (RedisWorkerDirectory gateway = RedisWorkerDirectory.manual(redis.process())) {
            assertEquals(List.of(), gateway.workers());
            RedisWorkerRegistration w1 = RedisWorkerRegistration.start(redis.process(), worker("w1", 9001), HEARTBEAT);
            RedisWorkerRegistration w2 = RedisWorkerRegistration.start(redis.process(), worker("w2", 9002), HEARTBEAT);
            gateway.refresh();
            assertEquals(List.of(worker("w1", 9001), worker("w2", 9002)), gateway.workers());

            w1.close();
            gateway.refresh(); // one read after close(): no waiting for a time to live
            assertEquals(List.of(worker("w2", 9002)), gateway.workers());
            SchedulerRedis any = redis.process();
            assertEquals(List.of(WorkerRecords.indexKey(any), WorkerRecords.workerKey(any, "w2")), redis.keys(),
                    "close() left neither the key nor the index entry");
            w2.close();
        }
    }

    @Test
    void joinsAndLeavesAreSeenByARefreshingGatewayWithinTwoSeconds() {
        try (RedisWorkerDirectory gateway = RedisWorkerDirectory.start(redis.process(), RedisWorkerDirectory.REFRESH)) {
            long joining = System.nanoTime();
            RedisWorkerRegistration w1 = RedisWorkerRegistration.start(redis.process(), worker("w1", 9001), HEARTBEAT);
            long joinNanos = awaitFor(() -> gateway.workers().size() == 1, "the worker never showed") - joining;

            long closing = System.nanoTime();
            w1.close();
            long closeNanos = awaitFor(() -> gateway.workers().isEmpty(), "the closed worker stayed") - closing;

            RedisWorkerRegistration w2 = RedisWorkerRegistration.start(redis.process(), worker("w2", 9002), HEARTBEAT);
            awaitFor(() -> gateway.workers().size() == 1, "the second worker never showed");
            long dying = System.nanoTime();
            w2.stopBeating(); // as kill -9 would: no deregistration, the key just stops being refreshed
            long deathNanos = awaitFor(() -> gateway.workers().isEmpty(), "the dead worker stayed") - dying;

            System.out.printf("redis discovery: join seen after %d ms, close after %d ms, death after %d ms%n",
                    ms(joinNanos), ms(closeNanos), ms(deathNanos));
            assertTrue(ms(joinNanos) < 2_000, "join seen after " + ms(joinNanos) + " ms");
            assertTrue(ms(closeNanos) < 2_000, "close seen after " + ms(closeNanos) + " ms");
            // Nominally at most 1.5 s (TTL) + 0.25 s (refresh); the margin is for a loaded machine's scheduling.
            assertTrue(ms(deathNanos) < 2_500, "death seen after " + ms(deathNanos) + " ms");
        }
    }

    @Test
    void aDeadWorkersKeyExpiresWithinThreeHeartbeatsAndItsIndexEntryIsCleanedUp() {
        SchedulerRedis inspector = redis.process();
        RedisWorkerRegistration w1 = RedisWorkerRegistration.start(redis.process(), worker("w1", 9001), HEARTBEAT);
        assertEquals(Duration.ofMillis(1_500), w1.ttl());
        long ttl = inspector.call("pttl", r -> r.pttl(WorkerRecords.workerKey(inspector, "w1")));
        assertTrue(ttl > 0 && ttl <= 1_500, "pttl " + ttl);
        w1.stopBeating();
        try (RedisWorkerDirectory gateway = RedisWorkerDirectory.manual(redis.process())) {
            awaitFor(() -> {
                gateway.refresh();
                return gateway.workers().isEmpty();
            }, "the key never expired");
            assertEquals(List.of(), redis.keys(), "the expired worker's id was removed from the index too");
        }
    }

    @Test
    void aRestartedWorkerComesBackWithItsNewAddress() {
        try (RedisWorkerDirectory gateway = RedisWorkerDirectory.manual(redis.process())) {
            RedisWorkerRegistration.start(redis.process(), worker("w1", 9001), HEARTBEAT).stopBeating();
            RedisWorkerRegistration again = RedisWorkerRegistration.start(redis.process(), worker("w1", 9005),
                    HEARTBEAT);
            gateway.refresh();
            assertEquals(List.of(worker("w1", 9005)), gateway.workers());
            again.close();
        }
    }

    @Test
    void aGarbledEntryIsSkippedAndTheOthersAreListed() {
        SchedulerRedis inspector = redis.process();
        inspector.call("set", r -> r.set(WorkerRecords.workerKey(inspector, "bad"),
                "{not json".getBytes(StandardCharsets.UTF_8)));
        inspector.call("sadd", r -> r.sadd(WorkerRecords.indexKey(inspector), "bad".getBytes(StandardCharsets.UTF_8)));
        RedisWorkerRegistration w1 = RedisWorkerRegistration.start(redis.process(), worker("w1", 9001), HEARTBEAT);
        try (RedisWorkerDirectory gateway = RedisWorkerDirectory.manual(redis.process())) {
            gateway.refresh();
            assertEquals(List.of(worker("w1", 9001)), gateway.workers());
        } finally {
            w1.close();
        }
    }

    @Test
    void whileRedisIsAwayTheGatewayKeepsItsLastList() {
        try (RedisTestServer own = RedisTestServer.start(); RedisFixture fixture = new RedisFixture(own)) {
            RedisWorkerRegistration w1 = RedisWorkerRegistration.start(fixture.process(), worker("w1", 9001),
                    HEARTBEAT);
            try (RedisWorkerDirectory gateway = RedisWorkerDirectory.manual(fixture.process())) {
                gateway.refresh();
                own.stop();
                gateway.refresh();
                assertEquals(List.of(worker("w1", 9001)), gateway.workers(), "an outage does not empty the list");
            } finally {
                w1.stopBeating();
            }
        }
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** Polls until the condition holds (bounded at 30 s) and returns the time it first held. */
    private static long awaitFor(BooleanSupplier condition, String failure) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(failure);
            }
            LockSupport.parkNanos(5_000_000);
        }
        return System.nanoTime();
    }
}
