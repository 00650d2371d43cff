package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.internal.TenancyJson;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.plan.TenantLimits;

import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.internal.StoredJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Tenants: each change is one record in the {@link TenancyLog} journal; {@code <dataDir>/tenants.json} is their
 * snapshot. Each entry holds the
 * tenant's optional {@code plan} and its {@code overrides} (only the overridden limits); entries written before plans
 * existed hold complete {@code limits} instead and load as a tenant on no plan overriding them all. Each entry holds the
 * tenant's {@code uid}; entries written before uids existed get the {@link TenantUid#legacy} one, written back at
 * open.
 *
 * <p>Threading: reads go to a concurrent map and never block. Writers serialize on a lock shared with the
 * {@link FilePlanStore}, append their record durably, and only then update the map; so a write that fails to reach the
 * disk changes nothing, and a write that returned survives a crash. A write costs one record, whatever the number of
 * tenants.
 */
final class FileTenantStore implements TenantStore {
    static final String FILE_NAME = "tenants.json";
    static final String PUT = "tenant";
    static final String DELETE = "tenant-delete";

    private final StoredJson json;
    private final InstantSource clock;
    private final RandomGenerator random;
    private final FilePlanStore plans;
    private final Object writeLock;
    private final ConcurrentSkipListMap<TenantId, Tenant> tenants;
    private final long snapshotSeq;
    private final boolean snapshotStale;
    private TenancyLog log;

    private FileTenantStore(StoredJson json, InstantSource clock, RandomGenerator random, FilePlanStore plans,
                            ConcurrentSkipListMap<TenantId, Tenant> tenants, long snapshotSeq, boolean snapshotStale) {
        this.json = json;
        this.clock = clock;
        this.random = random;
        this.plans = plans;
        this.writeLock = plans.writeLock();
        this.tenants = tenants;
        this.snapshotSeq = snapshotSeq;
        this.snapshotStale = snapshotStale;
    }

    /**
     * Loads the snapshot and wires itself into {@code plans} for its in-use check; the store works once
     * {@link TenancyLog} has replayed the journal and attached itself.
     */
    static FileTenantStore open(Path dataDir, InstantSource clock, RandomGenerator random, FilePlanStore plans) {
        StoredJson json = new StoredJson(dataDir.resolve(FILE_NAME));
        Optional<StoredJson.Document> stored = json.readDocument("tenants");
        FileTenantStore store = new FileTenantStore(json, clock, random, plans,
                load(json, stored.map(StoredJson.Document::array)), stored.map(StoredJson.Document::seq).orElse(0L),
                stored.isEmpty() || withoutUid(stored.get().array()));
        plans.tenantsOnPlan(store::tenantsOn);
        return store;
    }

    long snapshotSeq() {
        return snapshotSeq;
    }

    void attach(TenancyLog log) {
        this.log = log;
        if (snapshotStale) {
            // Write the empty file now, so an unwritable data directory fails at startup rather than on first use;
            // and write the uids given to tenants stored before uids, so they are on file from now on.
            captureSnapshot(log.lastSeq()).getAsLong();
        }
    }

    /** Applies a journal record written after the snapshot. */
    void replay(long seq, String op, ObjectNode record, StoredJson source) {
        if (seq <= snapshotSeq) {
            return;
        }
        if (op.equals(PUT)) {
            Tenant tenant = readTenant(source, record.get("tenant"), "record.tenant");
            tenants.put(tenant.id(), tenant);
        } else {
            String idText = source.text(record, "id", "record");
            tenants.remove(source.domain("record.id", () -> TenantId.of(idText)));
        }
    }

    /** Copies the tenants (call with the write lock held); the result writes them as the snapshot at {@code seq}. */
    LongSupplier captureSnapshot(long seq) {
        List<Tenant> snapshot = List.copyOf(tenants.values());
        return () -> persist(snapshot, seq);
    }

    private static boolean withoutUid(JsonNode array) {
        for (JsonNode node : array) {
            if (!node.has("uid")) {
                return true;
            }
        }
        return false;
    }

    private static ConcurrentSkipListMap<TenantId, Tenant> load(StoredJson json, Optional<JsonNode> stored) {
        ConcurrentSkipListMap<TenantId, Tenant> loaded = new ConcurrentSkipListMap<>(FileTenantStore::compare);
        if (stored.isEmpty()) {
            return loaded;
        }
        JsonNode array = stored.get();
        for (int i = 0; i < array.size(); i++) {
            String path = "tenants[" + i + "]";
            Tenant tenant = readTenant(json, array.get(i), path);
            if (loaded.put(tenant.id(), tenant) != null) {
                throw json.corrupt(path + ".id: '" + tenant.id() + "' appears more than once", null);
            }
        }
        return loaded;
    }

    private static Tenant readTenant(StoredJson json, JsonNode value, String path) {
        ObjectNode node = json.object(value, path);
        String idText = json.text(node, "id", path);
        TenantId id = json.domain(path + ".id", () -> TenantId.of(idText));
        TenantUid uid = TenantUid.legacy(id);
        if (node.has("uid")) {
            String uidText = json.text(node, "uid", path);
            uid = json.domain(path + ".uid", () -> TenantUid.of(uidText));
        }
        Optional<String> plan = Optional.empty();
        if (node.hasNonNull("plan")) {
            String name = json.text(node, "plan", path);
            plan = Optional.of(json.domain(path + ".plan", () -> Plan.checkName(name)));
        }
        LimitOverrides overrides = node.has("limits") ? legacyLimits(json, node, path + ".limits")
                : node.has("overrides") ? TenancyJson.readOverrides(json, node.get("overrides"), path + ".overrides")
                : LimitOverrides.none();
        Instant createdAt = json.instant(node, "created-at", path);
        Instant updatedAt = json.instant(node, "updated-at", path);
        if (!uid.name().equals(id)) {
            throw json.corrupt(path + ".uid: '" + uid + "' (expected: one of tenant " + id + ")", null);
        }
        return new Tenant(id, uid, plan, overrides, createdAt, updatedAt);
    }

    /**
     * Tenants written before plans had complete limits of six fields (the fuel limit added later): they become a
     * tenant on no plan overriding those fields, so its limits do not change.
     */
    private static LimitOverrides legacyLimits(StoredJson json, ObjectNode node, String path) {
        ObjectNode limits = json.object(node.get("limits"), path);
        if (!limits.has(Limit.MAX_FUEL_PER_CALL.key())) {
            limits = limits.deepCopy().put(Limit.MAX_FUEL_PER_CALL.key(), TenantLimits.DEFAULT_MAX_FUEL_PER_CALL);
        }
        for (Limit required : List.of(Limit.REQUESTS_PER_SECOND, Limit.BURST, Limit.MAX_MEMORY_PAGES,
                Limit.MAX_TIMEOUT_MS, Limit.MAX_MODULE_BYTES)) {
            if (!limits.has(required.key())) {
                throw json.corrupt(path + "." + required.key() + ": missing (expected: integer > 0)", null);
            }
        }
        return TenancyJson.readOverrides(json, limits, path);
    }

    @Override
    public PutResult put(TenantId id, Optional<String> plan, LimitOverrides overrides) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(overrides, "overrides");
        synchronized (writeLock) {
            plan.ifPresent(name -> {
                if (plans.find(name).isEmpty()) {
                    throw new TenancyException.InvalidInput("plan: '" + name + "' (no such plan)");
                }
            });
            Instant now = clock.instant();
            Tenant existing = tenants.get(id);
            Tenant tenant = existing == null ? new Tenant(id, TenantUid.create(id, random), plan, overrides, now, now)
                    : new Tenant(id, existing.uid(), plan, overrides, existing.createdAt(), now);
            ObjectNode record = json.newObject().put("op", PUT);
            writeTenant(record.putObject("tenant"), tenant);
            log.append(record);
            tenants.put(id, tenant);
            return new PutResult(tenant, existing == null);
        }
    }

    /** The tenants on a plan; call with the write lock held for an answer that stays true. */
    List<TenantId> tenantsOn(String plan) {
        Optional<String> wanted = Optional.of(plan);
        return tenants.values().stream().filter(t -> t.plan().equals(wanted)).map(Tenant::id).toList();
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
            log.append(json.newObject().put("op", DELETE).put("id", id.value()));
            tenants.remove(id);
            return true;
        }
    }

    private long persist(List<Tenant> snapshot, long seq) {
        ObjectNode root = json.newDocument(seq);
        ArrayNode array = root.putArray("tenants");
        for (Tenant tenant : snapshot) {
            writeTenant(array.addObject(), tenant);
        }
        return json.write(root, false);
    }

    private static void writeTenant(ObjectNode node, Tenant tenant) {
        node.put("id", tenant.id().value());
        node.put("uid", tenant.uid().value());
        tenant.plan().ifPresent(plan -> node.put("plan", plan));
        TenancyJson.writeOverrides(node.putObject("overrides"), tenant.overrides());
        node.put("created-at", tenant.createdAt().toString());
        node.put("updated-at", tenant.updatedAt().toString());
    }

    private static int compare(TenantId a, TenantId b) {
        return a.value().compareTo(b.value());
    }
}
