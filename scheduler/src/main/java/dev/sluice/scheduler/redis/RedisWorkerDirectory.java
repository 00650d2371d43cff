package dev.sluice.scheduler.redis;

import dev.sluice.scheduler.cluster.DirectoryRefresher;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.cluster.WorkerDirectory;
import io.lettuce.core.KeyValue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The workers that heartbeat into Redis ({@link RedisWorkerRegistration}), as a gateway sees them: re-read every
 * refresh interval (250 ms by default; at most 500 ms is what keeps joins and leaves within 2 s) with two commands,
 * the index's members and their keys. Ids in the index whose key has expired are dropped from the list and from
 * the index (a live worker adds itself back with its next heartbeat).
 *
 * <p>When Redis cannot be read the last list stays: the workers are most likely still there, and a dead one fails
 * its calls and is ejected by the balancer. Logged once per outage.
 *
 * <p>Threading: a background thread (unless {@link #manual}) calls {@link #refresh()}; readers get an immutable
 * snapshot from a volatile field.
 */
public final class RedisWorkerDirectory implements WorkerDirectory {
    private static final System.Logger LOG = System.getLogger(RedisWorkerDirectory.class.getName());
    /** The default refresh interval. */
    public static final Duration REFRESH = Duration.ofMillis(250);

    private final SchedulerRedis redis;
    private final DirectoryRefresher refresher;
    private final Object refreshing = new Object();
    private volatile List<WorkerAddress> workers = List.of();
    private boolean failing; // guarded by refreshing
    private final Set<String> garbled = new HashSet<>(); // guarded by refreshing; ids already warned about

    private RedisWorkerDirectory(SchedulerRedis redis, Duration every) {
        this.redis = redis;
        refresh();
        this.refresher = DirectoryRefresher.every(every, "sluice-redis-discovery", this::refresh);
    }

    /** Reads the workers now, then every {@code every} (at most 500 ms; {@link #REFRESH} by default). */
    public static RedisWorkerDirectory start(SchedulerRedis redis, Duration every) {
        Objects.requireNonNull(redis, "redis");
        if (every.toMillis() < 1 || every.toMillis() > 500) {
            throw new IllegalArgumentException("redis discovery refresh: " + every.toMillis()
                    + " ms (expected: 1 to 500, so joins and leaves show within 2 s)");
        }
        return new RedisWorkerDirectory(redis, every);
    }

    /** Without a background thread: the owner calls {@link #refresh()} (tests). */
    static RedisWorkerDirectory manual(SchedulerRedis redis) {
        return new RedisWorkerDirectory(redis, null);
    }

    /** Reads the list from Redis now; keeps the last one if Redis cannot be read. */
    public void refresh() {
        synchronized (refreshing) {
            try {
                workers = read();
                if (failing) {
                    failing = false;
                    LOG.log(System.Logger.Level.INFO, "worker discovery reads Redis again: {0} workers",
                            workers.size());
                }
            } catch (RuntimeException e) { // StorageFailure, or Lettuce failing at once
                if (!failing) {
                    failing = true;
                    LOG.log(System.Logger.Level.WARNING, "worker discovery cannot read Redis ({0}); keeping the {1}"
                            + " workers known", e.getMessage(), workers.size());
                }
            }
        }
    }

    private List<WorkerAddress> read() {
        String index = WorkerRecords.indexKey(redis);
        Set<byte[]> members = redis.call("worker discovery", r -> r.smembers(index));
        if (members.isEmpty()) {
            return List.of();
        }
        List<String> ids = members.stream().map(m -> new String(m, StandardCharsets.UTF_8)).toList();
        String[] keys = ids.stream().map(id -> WorkerRecords.workerKey(redis, id)).toArray(String[]::new);
        List<KeyValue<String, byte[]>> values = redis.call("worker discovery", r -> r.mget(keys));
        List<WorkerAddress> found = new ArrayList<>();
        List<byte[]> expired = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            KeyValue<String, byte[]> value = values.get(i);
            if (!value.hasValue()) {
                expired.add(ids.get(i).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            try {
                WorkerAddress worker = WorkerRecords.decode(value.getValue());
                if (worker.id().equals(ids.get(i))) {
                    found.add(worker);
                }
            } catch (IllegalArgumentException e) {
                if (garbled.add(ids.get(i))) { // once per entry, not every refresh
                    LOG.log(System.Logger.Level.WARNING, "worker discovery: skipping the entry of worker ''{0}'':"
                            + " {1}", ids.get(i), e.getMessage());
                }
            }
        }
        garbled.retainAll(ids);
        if (!expired.isEmpty()) {
            redis.call("worker discovery cleanup", r -> r.srem(index, expired.toArray(byte[][]::new)));
        }
        return DirectoryRefresher.settle(found, workers);
    }

    @Override
    public List<WorkerAddress> workers() {
        return workers;
    }

    @Override
    public void close() {
        refresher.close();
    }
}
