package dev.sluice.tenancy.plan;

import dev.sluice.tenancy.TenancyException;

import dev.sluice.tenancy.Tenant;

import java.util.List;
import java.util.Optional;

/** Where plans live. Implementations are thread-safe; every write is durable before it returns. */
public interface PlanStore {
    /** Creates the plan or replaces its limits; tenants on it get the new limits on their next request. */
    PutResult put(Plan plan);

    Optional<Plan> find(String name);

    /** All plans, ordered by name. */
    List<Plan> list();

    /**
     * @return whether a plan was removed
     * @throws TenancyException.InvalidInput naming the tenants when any tenant is still on the plan
     */
    boolean delete(String name);

    /**
     * The tenant's effective limits now: its plan's limits (or {@code defaults} when it has no plan, or when its plan
     * was removed under it) with its overrides on top.
     */
    default TenantLimits resolve(Tenant tenant, TenantLimits defaults) {
        TenantLimits base = tenant.plan().flatMap(this::find).map(Plan::limits).orElse(defaults);
        return base.with(tenant.overrides());
    }

    record PutResult(Plan plan, boolean created) {}

    /** Refuses to delete a plan that tenants are on, naming at most 20 of them; every store applies it. */
    static void refuseInUse(String plan, List<?> tenants) {
        if (!tenants.isEmpty()) {
            List<String> shown = tenants.stream().map(Object::toString).sorted().limit(20).toList();
            throw new TenancyException.PlanInUse("plan: '" + plan + "' is in use by " + tenants.size()
                    + (tenants.size() == 1 ? " tenant (" : " tenants (") + String.join(", ", shown)
                    + (tenants.size() > shown.size() ? ", ..." : "") + "); move them to another plan first", shown);
        }
    }
}
