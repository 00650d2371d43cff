package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenancyException;
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

/**
 * Plans in {@code <dataDir>/plans.json}, rewritten whole and atomically on every change.
 *
 * <p>Threading: reads see an immutable snapshot published through a volatile field and never block. Writers take
 * {@link #writeLock}, which the {@link FileTenantStore} shares, so "is the plan in use" and "does the plan exist"
 * cannot race between the two stores.
 */
final class FilePlanStore implements PlanStore {
    static final String FILE_NAME = "plans.json";

    private final StoredJson json;
    private final Object writeLock = new Object();
    private volatile SortedMap<String, Plan> plans;
    private volatile Function<String, List<TenantId>> tenantsOnPlan = plan -> List.of();

    private FilePlanStore(StoredJson json, SortedMap<String, Plan> plans) {
        this.json = json;
        this.plans = plans;
    }

    static FilePlanStore open(Path dataDir) {
        StoredJson json = new StoredJson(dataDir.resolve(FILE_NAME));
        Optional<JsonNode> stored = json.readArray("plans");
        FilePlanStore store = new FilePlanStore(json, load(json, stored));
        if (stored.isEmpty()) {
            store.persist(store.plans);
        }
        return store;
    }

    private static SortedMap<String, Plan> load(StoredJson json, Optional<JsonNode> stored) {
        TreeMap<String, Plan> loaded = new TreeMap<>();
        if (stored.isPresent()) {
            JsonNode array = stored.get();
            for (int i = 0; i < array.size(); i++) {
                String path = "plans[" + i + "]";
                ObjectNode node = json.object(array.get(i), path);
                String name = json.text(node, "name", path);
                json.domain(path + ".name", () -> Plan.checkName(name));
                TenantLimits limits = TenancyJson.readLimits(json, node.get("limits"), path + ".limits");
                if (loaded.put(name, new Plan(name, limits)) != null) {
                    throw json.corrupt(path + ".name: '" + name + "' appears more than once", null);
                }
            }
        }
        return Collections.unmodifiableSortedMap(loaded);
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
            TreeMap<String, Plan> next = new TreeMap<>(plans);
            next.put(plan.name(), plan);
            publish(next);
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
            TreeMap<String, Plan> next = new TreeMap<>(plans);
            next.remove(name);
            publish(next);
            return true;
        }
    }

    private void publish(TreeMap<String, Plan> next) {
        SortedMap<String, Plan> snapshot = Collections.unmodifiableSortedMap(next);
        persist(snapshot);
        plans = snapshot;
    }

    private void persist(SortedMap<String, Plan> snapshot) {
        ObjectNode root = json.newDocument();
        ArrayNode array = root.putArray("plans");
        for (Plan plan : snapshot.values()) {
            ObjectNode node = array.addObject();
            node.put("name", plan.name());
            TenancyJson.writeLimits(node.putObject("limits"), plan.limits());
        }
        json.write(root, false);
    }
}
