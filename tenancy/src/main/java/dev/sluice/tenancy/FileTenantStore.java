package dev.sluice.tenancy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Tenants in {@code <dataDir>/tenants.json}, rewritten whole and atomically on every change.
 *
 * <p>Threading: reads see an immutable snapshot published through a volatile field and never block. Writers
 * serialize on a lock, build the next snapshot, persist it, and only then publish it; so a write that fails to reach
 * the disk changes nothing, and a write that returned survives a crash.
 */
final class FileTenantStore implements TenantStore {
    static final String FILE_NAME = "tenants.json";

    private final StoredJson json;
    private final InstantSource clock;
    private final Object writeLock = new Object();
    private volatile SortedMap<TenantId, Tenant> tenants;

    private FileTenantStore(StoredJson json, InstantSource clock, SortedMap<TenantId, Tenant> tenants) {
        this.json = json;
        this.clock = clock;
        this.tenants = tenants;
    }

    static FileTenantStore open(Path dataDir, InstantSource clock) {
        StoredJson json = new StoredJson(dataDir.resolve(FILE_NAME));
        Optional<JsonNode> stored = json.readArray("tenants");
        FileTenantStore store = new FileTenantStore(json, clock, load(json, stored));
        if (stored.isEmpty()) {
            // Write the empty file now, so an unwritable data directory fails at startup rather than on first use.
            store.persist(store.tenants);
        }
        return store;
    }

    private static SortedMap<TenantId, Tenant> load(StoredJson json, Optional<JsonNode> stored) {
        TreeMap<TenantId, Tenant> loaded = new TreeMap<>(FileTenantStore::compare);
        if (stored.isEmpty()) {
            return Collections.unmodifiableSortedMap(loaded);
        }
        JsonNode array = stored.get();
        for (int i = 0; i < array.size(); i++) {
            String path = "tenants[" + i + "]";
            ObjectNode node = json.object(array.get(i), path);
            String idText = json.text(node, "id", path);
            TenantId id = json.domain(path + ".id", () -> TenantId.of(idText));
            String limitsPath = path + ".limits";
            ObjectNode limitsNode = json.object(node.get("limits"), limitsPath);
            long rps = json.positiveLong(limitsNode, "requests-per-second", limitsPath);
            long burst = json.positiveLong(limitsNode, "burst", limitsPath);
            int pages = json.positiveInt(limitsNode, "max-memory-pages", limitsPath);
            long timeout = json.positiveLong(limitsNode, "max-timeout-ms", limitsPath);
            long moduleBytes = json.positiveLong(limitsNode, "max-module-bytes", limitsPath);
            long fuel = limitsNode.has("max-fuel-per-call")
                    ? json.positiveLong(limitsNode, "max-fuel-per-call", limitsPath)
                    : TenantLimits.DEFAULT_MAX_FUEL_PER_CALL;
            TenantLimits limits = json.domain(limitsPath,
                    () -> new TenantLimits(rps, burst, pages, timeout, moduleBytes, fuel));
            Instant createdAt = json.instant(node, "created-at", path);
            Instant updatedAt = json.instant(node, "updated-at", path);
            if (loaded.put(id, new Tenant(id, limits, createdAt, updatedAt)) != null) {
                throw json.corrupt(path + ".id: '" + id + "' appears more than once", null);
            }
        }
        return Collections.unmodifiableSortedMap(loaded);
    }

    @Override
    public PutResult put(TenantId id, TenantLimits limits) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(limits, "limits");
        synchronized (writeLock) {
            Instant now = clock.instant();
            Tenant existing = tenants.get(id);
            Tenant tenant = existing == null
                    ? new Tenant(id, limits, now, now)
                    : new Tenant(id, limits, existing.createdAt(), now);
            TreeMap<TenantId, Tenant> next = new TreeMap<>(tenants);
            next.put(id, tenant);
            publish(next);
            return new PutResult(tenant, existing == null);
        }
    }

    @Override
    public Optional<Tenant> find(TenantId id) {
        return Optional.ofNullable(tenants.get(id));
    }

    @Override
    public List<Tenant> list() {
        return List.copyOf(tenants.values());
    }

    @Override
    public boolean delete(TenantId id) {
        Objects.requireNonNull(id, "id");
        synchronized (writeLock) {
            if (!tenants.containsKey(id)) {
                return false;
            }
            TreeMap<TenantId, Tenant> next = new TreeMap<>(tenants);
            next.remove(id);
            publish(next);
            return true;
        }
    }

    private void publish(TreeMap<TenantId, Tenant> next) {
        SortedMap<TenantId, Tenant> snapshot = Collections.unmodifiableSortedMap(next);
        persist(snapshot);
        tenants = snapshot;
    }

    private void persist(Map<TenantId, Tenant> snapshot) {
        ObjectNode root = json.newDocument();
        ArrayNode array = root.putArray("tenants");
        for (Tenant tenant : snapshot.values()) {
            ObjectNode node = array.addObject();
            node.put("id", tenant.id().value());
            TenantLimits limits = tenant.limits();
            node.putObject("limits")
                    .put("requests-per-second", limits.requestsPerSecond())
                    .put("burst", limits.burst())
                    .put("max-memory-pages", limits.maxMemoryPages())
                    .put("max-timeout-ms", limits.maxTimeoutMs())
                    .put("max-module-bytes", limits.maxModuleBytes())
                    .put("max-fuel-per-call", limits.maxFuelPerCall());
            node.put("created-at", tenant.createdAt().toString());
            node.put("updated-at", tenant.updatedAt().toString());
        }
        json.write(root, false);
    }

    private static int compare(TenantId a, TenantId b) {
        return a.value().compareTo(b.value());
    }
}
