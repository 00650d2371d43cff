package dev.sluice.tenancy.managed;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenancyStores;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.plan.LimitOverrides;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Declared tenants over the stored ones. A declared tenant hides a stored one of the same name entirely, by name and
 * by uid (one name is one tenant: the stored one's keys stop authenticating while the declaration stands), and cannot
 * be written or deleted here.
 *
 * <p>A tenant created here must be on a plan the base store holds: the base store checks that (atomically, in Redis),
 * and a plan only declared could disappear from the declarations under a tenant the declarations do not know of.
 */
final class ManagedTenants implements TenantStore {
    private final TenancyStores base;
    private final Supplier<DeclaredSet> declared;
    private final String manager;
    private final Clashes clashes;

    ManagedTenants(TenancyStores base, Supplier<DeclaredSet> declared, String manager, Clashes clashes) {
        this.base = base;
        this.declared = declared;
        this.manager = manager;
        this.clashes = clashes;
    }

    @Override
    public PutResult put(TenantId id, Optional<String> plan, LimitOverrides overrides) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(plan, "plan");
        DeclaredSet set = declared.get();
        refuseIfDeclared(set, id);
        if (plan.isPresent()) {
            Declarations.DeclaredPlan declaredPlan = set.plans.get(plan.get());
            if (declaredPlan != null && base.plans().find(plan.get()).isEmpty()) {
                throw new TenancyException.InvalidInput("plan: '" + plan.get() + "' (expected: a plan stored here;"
                        + " this one is managed by " + manager + " (" + declaredPlan.source() + ") and only tenants"
                        + " declared there can be on it)");
            }
        }
        return base.tenants().put(id, plan, overrides);
    }

    @Override
    public Optional<Tenant> find(TenantId id) {
        if (id == null) {
            return Optional.empty();
        }
        Optional<DeclaredTenant> tenant = declared.get().tenant(id);
        return tenant.isPresent() ? tenant.map(DeclaredTenant::tenant) : base.tenants().find(id);
    }

    @Override
    public Optional<Tenant> find(TenantUid uid) {
        if (uid == null) {
            return Optional.empty();
        }
        Optional<DeclaredTenant> tenant = declared.get().tenant(uid.name());
        return tenant.isPresent() ? tenant.map(DeclaredTenant::tenant).filter(t -> t.uid().equals(uid))
                : base.tenants().find(uid);
    }

    @Override
    public List<Tenant> list() {
        DeclaredSet set = declared.get();
        List<Tenant> merged = new ArrayList<>();
        for (Tenant stored : base.tenants().list()) {
            DeclaredTenant tenant = set.tenants.get(stored.id().value());
            if (tenant == null) {
                merged.add(stored);
            } else {
                clashes.seen("tenant", stored.id().value(), tenant.source());
            }
        }
        set.tenants.values().forEach(t -> merged.add(t.tenant()));
        merged.sort(Comparator.comparing(t -> t.id().value()));
        return merged;
    }

    @Override
    public boolean delete(TenantId id) {
        Objects.requireNonNull(id, "id");
        refuseIfDeclared(declared.get(), id);
        return base.tenants().delete(id);
    }

    private void refuseIfDeclared(DeclaredSet set, TenantId id) {
        DeclaredTenant tenant = set.tenants.get(id.value());
        if (tenant != null) {
            throw new TenancyException.Managed("tenant '" + id + "' is managed by " + manager + " ("
                    + tenant.source() + "); change it there", manager);
        }
    }
}
