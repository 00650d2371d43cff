package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.internal.StoredJson;
import dev.sluice.tenancy.internal.TenancyJson;
import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.plan.PlanStore;
import dev.sluice.tenancy.plan.TenantLimits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Plans: each change is one record in the {@link TenancyLog} journal; {@code <dataDir>/plans.json} is their snapshot.
 *
 * <p>Threading: reads see an immutable snapshot published through a volatile field and never block. Writers take
 * {@link #writeLock}, which the {@link FileTenantStore} shares, so "is the plan in use" and "does the plan exist"
 * cannot race between the two stores.
 */
final class FilePlanStore implements PlanStore {
    static final String FILE_NAME = "plans.json";
    static final String PUT = "plan";
    static final String DELETE = "plan-delete";

    private final StoredJson json;
    private final Object writeLock = new Object();
    private final long snapshotSeq;
    private final boolean snapshotMissing;
    private TenancyLog log;
    private volatile SortedMap<String, Plan> plans;
    private volatile Function<String, List<TenantId>> tenantsOnPlan = plan -> List.of();

    private FilePlanStore(StoredJson json, SortedMap<String, Plan> plans, long snapshotSeq, boolean snapshotMissing) {
        this.json = json;
        this.plans = plans;
        this.snapshotSeq = snapshotSeq;
        this.snapshotMissing = snapshotMissing;
    }

    /** Loads the snapshot; the store works once {@link TenancyLog} has replayed the journal and attached itself. */
    static FilePlanStore open(Path dataDir) {
        StoredJson json = new StoredJson(dataDir.resolve(FILE_NAME));
        Optional<StoredJson.Document> stored = json.readDocument("plans");
        return new FilePlanStore(json, load(json, stored.map(StoredJson.Document::array)),
                stored.map(StoredJson.Document::seq).orElse(0L), stored.isEmpty());
    }

    long snapshotSeq() {
        return snapshotSeq;
    }

    void attach(TenancyLog log) {
        this.log = log;
        if (snapshotMissing) {
            // Write the file now, so an unwritable data directory fails at startup rather than on first use.
            captureSnapshot(log.lastSeq()).getAsLong();
        }
    }

    /** Applies a journal record written after the snapshot. */
    void replay(long seq, String op, ObjectNode record, StoredJson source) {
        if (seq <= snapshotSeq) {
            return;
        }
        TreeMap<String, Plan> next = new TreeMap<>(plans);
        if (op.equals(PUT)) {
            Plan plan = readPlan(source, record.get("plan"), "record.plan");
            next.put(plan.name(), plan);
        } else {
            next.remove(source.text(record, "name", "record"));
        }
        plans = Collections.unmodifiableSortedMap(next);
    }

    /** Copies the plans (call with the write lock held); the result writes them as the snapshot at {@code seq}. */
    LongSupplier captureSnapshot(long seq) {
        SortedMap<String, Plan> snapshot = plans;
        return () -> persist(snapshot, seq);
    }

    private static SortedMap<String, Plan> load(StoredJson json, Optional<JsonNode> stored) {
        TreeMap<String, Plan> loaded = new TreeMap<>();
        if (stored.isPresent()) {
            JsonNode array = stored.get();
            for (int i = 0; i < array.size(); i++) {
                String path = "plans[" + i + "]";
                Plan plan = readPlan(json, array.get(i), path);
                if (loaded.put(plan.name(), plan) != null) {
                    throw json.corrupt(path + ".name: '" + plan.name() + "' appears more than once", null);
                }
            }
        }
        return Collections.unmodifiableSortedMap(loaded);
    }

    private static Plan readPlan(StoredJson json, JsonNode value, String path) {
        ObjectNode node = json.object(value, path);
        String name = json.text(node, "name", path);
        json.domain(path + ".name", () -> Plan.checkName(name));
        TenantLimits limits = TenancyJson.readLimits(json, node.get("limits"), path + ".limits");
        return new Plan(name, limits);
    }

    private static ObjectNode writePlan(ObjectNode node, Plan plan) {
        node.put("name", plan.name());
        TenancyJson.writeLimits(node.putObject("limits"), plan.limits());
        return node;
    }

    Object writeLock() {
        return writeLock;
    }

    /** Wires the tenant store in, for the in-use check on delete. */
    void tenantsOnPlan(Function<String, List<TenantId>> lookup) {
        this.tenantsOnPlan = lookup;
    }

    @Override
    public PutResult put(Plan plan) {
        Objects.requireNonNull(plan, "plan");
        synchronized (writeLock) {
            boolean created = !plans.containsKey(plan.name());
            ObjectNode record = json.newObject().put("op", PUT);
            writePlan(record.putObject("plan"), plan);
            log.append(record);
            TreeMap<String, Plan> next = new TreeMap<>(plans);
            next.put(plan.name(), plan);
            plans = Collections.unmodifiableSortedMap(next);
            return new PutResult(plan, created);
        }
    }

    @Override
    public Optional<Plan> find(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(plans.get(name));
    }

    @Override
    public List<Plan> list() {
        return List.copyOf(plans.values());
    }

    @Override
    public boolean delete(String name) {
        Objects.requireNonNull(name, "name");
        synchronized (writeLock) {
            if (!plans.containsKey(name)) {
                return false;
            }
            PlanStore.refuseInUse(name, tenantsOnPlan.apply(name));
            log.append(json.newObject().put("op", DELETE).put("name", name));
            TreeMap<String, Plan> next = new TreeMap<>(plans);
            next.remove(name);
            plans = Collections.unmodifiableSortedMap(next);
            return true;
        }
    }

    private long persist(SortedMap<String, Plan> snapshot, long seq) {
        ObjectNode root = json.newDocument(seq);
        ArrayNode array = root.putArray("plans");
        for (Plan plan : snapshot.values()) {
            writePlan(array.addObject(), plan);
        }
        return json.write(root, false);
    }
}
