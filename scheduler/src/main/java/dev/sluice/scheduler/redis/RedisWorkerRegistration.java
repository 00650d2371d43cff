package dev.sluice.scheduler.redis;

import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.cluster.WorkerRegistration;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A worker advertised through Redis ({@code worker-discovery: redis}): every heartbeat ({@code worker-heartbeat-ms},
 * 500 ms by default) sets the worker's key with a time to live of three heartbeats and adds its id to the index. A
 * worker that dies stops refreshing, so its key expires by Redis's own clock within three heartbeats (1.5 s by
 * default), and gateways, re-reading every 250 ms, drop it within 2 s. {@link #close()} deletes the key at once.
 *
 * <p>Redis being away does not stop the worker: the heartbeat logs once and keeps trying, and the worker is back in
 * the list with the first heartbeat that gets through.
 *
 * <p>Threading: one daemon thread beats; {@link #close()} may be called from any thread, once or more.
 */
public final class RedisWorkerRegistration implements WorkerRegistration {
    private static final System.Logger LOG = System.getLogger(RedisWorkerRegistration.class.getName());
    /** Missed heartbeats before the worker's key expires. */
    static final int BEATS_PER_TTL = 3;

    private final SchedulerRedis redis;
    private final WorkerAddress self;
    private final Duration ttl;
    private final byte[] record;
    private final ScheduledExecutorService heart;
    private final Object beating = new Object(); // orders the last beat before close's delete
    private boolean closed; // guarded by beating
    private boolean failing; // guarded by beating; for logging the transitions only

    private RedisWorkerRegistration(SchedulerRedis redis, WorkerAddress self, Duration heartbeat) {
        this.redis = redis;
        this.self = self;
        this.ttl = heartbeat.multipliedBy(BEATS_PER_TTL);
        this.record = WorkerRecords.encode(self);
        this.heart = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-worker-heartbeat");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Registers {@code self} now (so gateways can see it as soon as this returns, if Redis is there) and keeps
     * refreshing it every {@code heartbeat}.
     */
    public static RedisWorkerRegistration start(SchedulerRedis redis, WorkerAddress self, Duration heartbeat) {
        Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(self, "self");
        if (heartbeat.toMillis() < 1) {
            throw new IllegalArgumentException("worker-heartbeat-ms: " + heartbeat.toMillis() + " (expected: > 0)");
        }
        RedisWorkerRegistration registration = new RedisWorkerRegistration(redis, self, heartbeat);
        registration.beat();
        long millis = heartbeat.toMillis();
        registration.heart.scheduleWithFixedDelay(registration::beat, millis, millis, TimeUnit.MILLISECONDS);
        return registration;
    }

    /** The key's time to live: three heartbeats. */
    public Duration ttl() {
        return ttl;
    }

    private void beat() {
        synchronized (beating) {
            if (closed) {
                return;
            }
            try {
                String key = WorkerRecords.workerKey(redis, self.id());
                redis.call("worker heartbeat", r -> r.set(key, record, SetArgs.Builder.px(ttl.toMillis())));
                redis.call("worker heartbeat", r -> r.sadd(WorkerRecords.indexKey(redis), id()));
                if (failing) {
                    failing = false;
                    LOG.log(System.Logger.Level.INFO, "worker {0}: heartbeat reaches Redis again", self.id());
                }
            } catch (RuntimeException e) { // StorageFailure, or Lettuce failing at once
                if (!failing) {
                    failing = true;
                    LOG.log(System.Logger.Level.WARNING, "worker {0}: heartbeat failed, gateways will drop this "
                            + "worker until it gets through ({1}); retrying every beat", self.id(), e.getMessage());
                }
            }
        }
    }

    /** Stops the heartbeat without deleting the key, as a process killed with SIGKILL would (tests). */
    void stopBeating() {
        synchronized (beating) {
            closed = true;
        }
        heart.shutdownNow();
    }

    /** Deletes the worker's key and index entry at once, then stops the heartbeat; the TTL covers a failed delete. */
    @Override
    public void close() {
        synchronized (beating) {
            if (closed) {
                heart.shutdownNow();
                return;
            }
            closed = true;
        }
        heart.shutdownNow();
        try {
            redis.call("worker deregistration", r -> r.del(WorkerRecords.workerKey(redis, self.id())));
            redis.call("worker deregistration", r -> r.srem(WorkerRecords.indexKey(redis), id()));
        } catch (RuntimeException e) { // StorageFailure, or Lettuce failing at once
            LOG.log(System.Logger.Level.WARNING, "worker {0}: could not deregister ({1}); gateways drop it when its"
                    + " key expires within {2} ms", self.id(), e.getMessage(), String.valueOf(ttl.toMillis()));
        }
    }

    private byte[] id() {
        return self.id().getBytes(StandardCharsets.UTF_8);
    }
}
