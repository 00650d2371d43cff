package dev.sluice.tenancy.managed;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenancyStores;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.plan.PlanStore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Declared plans over the stored ones: a declared plan hides a stored one of the same name and cannot be written or
 * deleted here; stored plans stay editable, except that one declared tenants are on cannot be deleted.
 * {@link #resolve} is the interface's, over {@link #find}, so it works for a tenant on either kind of plan.
 */
final class ManagedPlans implements PlanStore {
    private final TenancyStores base;
    private final Supplier<DeclaredSet> declared;
    private final String manager;
    private final Clashes clashes;

    ManagedPlans(TenancyStores base, Supplier<DeclaredSet> declared, String manager, Clashes clashes) {
        this.base = base;
        this.declared = declared;
        this.manager = manager;
        this.clashes = clashes;
    }

    @Override
    public PutResult put(Plan plan) {
        Objects.requireNonNull(plan, "plan");
        refuseIfDeclared(declared.get(), plan.name());
        return base.plans().put(plan);
    }

    @Override
    public Optional<Plan> find(String name) {
        if (name == null) {
            return Optional.empty();
        }
        Declarations.DeclaredPlan plan = declared.get().plans.get(name);
        return plan != null ? Optional.of(plan.plan()) : base.plans().find(name);
    }

    @Override
    public List<Plan> list() {
        DeclaredSet set = declared.get();
        List<Plan> merged = new ArrayList<>();
        for (Plan stored : base.plans().list()) {
            Declarations.DeclaredPlan plan = set.plans.get(stored.name());
            if (plan == null) {
                merged.add(stored);
            } else {
                clashes.seen("plan", stored.name(), plan.source());
            }
        }
        set.plans.values().forEach(p -> merged.add(p.plan()));
        merged.sort(Comparator.comparing(Plan::name));
        return merged;
    }

    @Override
    public boolean delete(String name) {
        Objects.requireNonNull(name, "name");
        DeclaredSet set = declared.get();
        refuseIfDeclared(set, name);
        List<TenantId> declaredOn = set.tenantsOn(name);
        if (!declaredOn.isEmpty()) {
            // The base store's own check sees only its tenants; name both kinds, as one refusal.
            List<TenantId> on = new ArrayList<>(declaredOn);
            Optional<String> wanted = Optional.of(name);
            base.tenants().list().stream()
                    .filter(t -> t.plan().equals(wanted) && !set.tenants.containsKey(t.id().value()))
                    .map(Tenant::id)
                    .forEach(on::add);
            PlanStore.refuseInUse(name, on);
        }
        return base.plans().delete(name);
    }

    private void refuseIfDeclared(DeclaredSet set, String name) {
        Declarations.DeclaredPlan plan = set.plans.get(name);
        if (plan != null) {
            throw new TenancyException.Managed("plan '" + name + "' is managed by " + manager + " (" + plan.source()
                    + "); change it there", manager);
        }
    }
}
