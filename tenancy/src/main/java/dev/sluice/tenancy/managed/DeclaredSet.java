package dev.sluice.tenancy.managed;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.plan.PlanStore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One set of {@link Declarations}, checked whole and indexed for the lookups every request makes. Immutable: a
 * {@link ManagedTenancy} publishes one at a time, and a reader that took one answers wholly from it.
 */
final class DeclaredSet {
    static final DeclaredSet EMPTY = new DeclaredSet(Declarations.NONE, Collections.emptySortedMap(),
            Collections.emptySortedMap(), Map.of(), Map.of(), Map.of());

    /** A declared key with what verify answers precomputed: its tenant's uid and its metadata. */
    record Key(DeclaredKey declared, byte[] secretHash, KeyMetadata metadata) {}

    final Declarations declarations;
    final SortedMap<String, Declarations.DeclaredPlan> plans;
    /** By tenant name. */
    final SortedMap<String, DeclaredTenant> tenants;
    final Map<String, Key> keys;
    /** Oldest first, per tenant uid. */
    final Map<TenantUid, List<Key>> keysByTenant;
    /** Declared tenants per plan name, whether the plan is declared or stored. */
    final Map<String, List<TenantId>> tenantsByPlan;

    private DeclaredSet(Declarations declarations, SortedMap<String, Declarations.DeclaredPlan> plans,
                        SortedMap<String, DeclaredTenant> tenants, Map<String, Key> keys,
                        Map<TenantUid, List<Key>> keysByTenant, Map<String, List<TenantId>> tenantsByPlan) {
        this.declarations = declarations;
        this.plans = plans;
        this.tenants = tenants;
        this.keys = keys;
        this.keysByTenant = keysByTenant;
        this.tenantsByPlan = tenantsByPlan;
    }

    /**
     * Checks the set whole and indexes it. Each record validated its own fields; what is checked here is what only the
     * whole set shows: duplicates, a tenant on a plan that exists nowhere, a key of a tenant that is not declared.
     *
     * @param base           the stored plans, for tenants on a plan that is not declared
     * @param unverifiable   told of a plan that could not be looked up because the base store did not answer: the
     *                       set is taken anyway (a Redis outage at start must not drop every declared tenant), and
     *                       such a tenant resolves to the defaults until the plan can be found, as for any tenant
     *                       whose plan is gone
     * @throws TenancyException.InvalidInput starting with the offending declaration's source and naming the field
     */
    static DeclaredSet check(Declarations next, PlanStore base, Consumer<String> unverifiable) {
        TreeMap<String, Declarations.DeclaredPlan> plans = new TreeMap<>();
        for (Declarations.DeclaredPlan plan : next.plans()) {
            Declarations.DeclaredPlan other = plans.putIfAbsent(plan.plan().name(), plan);
            if (other != null) {
                throw new TenancyException.InvalidInput(plan.source() + ": plan: '" + plan.plan().name()
                        + "' (expected: declared once; also declared at " + other.source() + ")");
            }
        }
        TreeMap<String, DeclaredTenant> tenants = new TreeMap<>();
        Map<String, List<TenantId>> tenantsByPlan = new HashMap<>();
        Map<String, Boolean> stored = new HashMap<>();
        for (DeclaredTenant tenant : next.tenants()) {
            String name = tenant.tenant().id().value();
            DeclaredTenant other = tenants.putIfAbsent(name, tenant);
            if (other != null) {
                throw new TenancyException.InvalidInput(tenant.source() + ": tenant: '" + name
                        + "' (expected: declared once; also declared at " + other.source() + ")");
            }
            Optional<String> plan = tenant.tenant().plan();
            if (plan.isPresent() && !plans.containsKey(plan.get())
                    && !stored.computeIfAbsent(plan.get(), p -> storedOrUnknown(base, p, unverifiable))) {
                throw new TenancyException.InvalidInput(tenant.source() + ": plan: '" + plan.get()
                        + "' (expected: a plan declared or stored; there is none of that name)");
            }
            plan.ifPresent(p -> tenantsByPlan.computeIfAbsent(p, x -> new ArrayList<>()).add(tenant.tenant().id()));
        }
        LinkedHashMap<String, Key> keys = new LinkedHashMap<>();
        Map<TenantUid, List<Key>> byTenant = new HashMap<>();
        for (DeclaredKey key : next.keys()) {
            Key other = keys.get(key.id());
            if (other != null) {
                throw new TenancyException.InvalidInput(key.source() + ": key id: '" + key.id()
                        + "' (expected: declared once; also declared at " + other.declared().source() + ")");
            }
            DeclaredTenant owner = tenants.get(key.tenant().value());
            if (owner == null) {
                throw new TenancyException.InvalidInput(key.source() + ": tenant: '" + key.tenant()
                        + "' (expected: a declared tenant; a key declared here belongs to a tenant declared here)");
            }
            TenantUid uid = owner.tenant().uid();
            KeyMetadata metadata = new KeyMetadata(key.id(), uid, key.spec().name(), key.createdAt(),
                    key.spec().expiresAt(), key.spec().scopes(), key.spec().functions(), Optional.empty());
            Key indexed = new Key(key, key.secretHash(), metadata);
            keys.put(key.id(), indexed);
            byTenant.computeIfAbsent(uid, u -> new ArrayList<>()).add(indexed);
        }
        Map<TenantUid, List<Key>> keysByTenant = new HashMap<>();
        byTenant.forEach((uid, list) -> {
            list.sort(Comparator.comparing((Key k) -> k.metadata().createdAt()).thenComparing(k -> k.declared().id()));
            keysByTenant.put(uid, List.copyOf(list));
        });
        Map<String, List<TenantId>> onPlan = new HashMap<>();
        tenantsByPlan.forEach((plan, list) -> onPlan.put(plan, List.copyOf(list)));
        return new DeclaredSet(next, Collections.unmodifiableSortedMap(plans),
                Collections.unmodifiableSortedMap(tenants), Collections.unmodifiableMap(keys),
                Collections.unmodifiableMap(keysByTenant), Collections.unmodifiableMap(onPlan));
    }

    private static boolean storedOrUnknown(PlanStore base, String plan, Consumer<String> unverifiable) {
        try {
            return base.find(plan).isPresent();
        } catch (TenancyException.StoreUnavailable e) {
            unverifiable.accept(plan);
            return true;
        }
    }

    Optional<DeclaredTenant> tenant(TenantId id) {
        return id == null ? Optional.empty() : Optional.ofNullable(tenants.get(id.value()));
    }

    List<TenantId> tenantsOn(String plan) {
        return tenantsByPlan.getOrDefault(plan, List.of());
    }

    List<Key> keysOf(TenantUid tenant) {
        return keysByTenant.getOrDefault(tenant, List.of());
    }
}
