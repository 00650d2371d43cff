package dev.sluice.scheduler.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.cluster.WorkerAddress;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Redis layout of worker discovery, shared by the worker's registration and the gateways' directory. One key
 * per worker, {@code {workers}:worker:<id>}, holding its address as JSON with a time to live the heartbeat keeps
 * refreshing; and an index set {@code {workers}:index} of ids, so a gateway reads the list with two commands instead
 * of scanning the keyspace. The shared hash tag keeps both in one slot on Redis Cluster (MGET needs that).
 */
final class WorkerRecords {
    private static final ObjectMapper JSON = new ObjectMapper();

    private WorkerRecords() {}

    static String indexKey(SchedulerRedis redis) {
        return redis.key("{workers}:index");
    }

    static String workerKey(SchedulerRedis redis, String id) {
        return redis.key("{workers}:worker:" + id);
    }

    static byte[] encode(WorkerAddress worker) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("id", worker.id());
        fields.put("host", worker.host());
        fields.put("port", worker.port());
        fields.put("max-concurrency", worker.maxConcurrency());
        try {
            return JSON.writeValueAsBytes(fields);
        } catch (IOException e) {
            throw new IllegalStateException("a map of strings and ints always serializes", e);
        }
    }

    /** @throws IllegalArgumentException when the bytes are not a worker record */
    static WorkerAddress decode(byte[] bytes) {
        try {
            JsonNode node = JSON.readTree(bytes);
            if (node == null || !node.path("id").isTextual() || !node.path("host").isTextual()
                    || !node.path("port").isInt() || !node.path("max-concurrency").isInt()) {
                throw new IllegalArgumentException("not a worker record (expected: id, host, port, max-concurrency)");
            }
            return new WorkerAddress(node.get("id").asText(), node.get("host").asText(), node.get("port").asInt(),
                    node.get("max-concurrency").asInt());
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
    }
}
