package dev.sluice.tenancy.managed;

import dev.sluice.tenancy.plan.Plan;
import java.util.List;
import java.util.Objects;

/**
 * Plans, tenants and keys declared by an outside source (Vault, written by Terraform): the whole set at one moment.
 * A {@link ManagedTenancy} applies a set at once, after checking it whole, and replaces the previous set.
 *
 * @param plans   each with its limits
 * @param tenants each on a declared or stored plan, or on none
 * @param keys    each of a declared tenant
 */
public record Declarations(List<DeclaredPlan> plans, List<DeclaredTenant> tenants, List<DeclaredKey> keys) {
    public static final Declarations NONE = new Declarations(List.of(), List.of(), List.of());

    public Declarations {
        plans = List.copyOf(Objects.requireNonNull(plans, "plans"));
        tenants = List.copyOf(Objects.requireNonNull(tenants, "tenants"));
        keys = List.copyOf(Objects.requireNonNull(keys, "keys"));
    }

    /**
     * @param plan   the plan
     * @param source where it was declared, for messages ({@code vault secret/sluice/plans/pro})
     */
    public record DeclaredPlan(Plan plan, String source) {
        public DeclaredPlan {
            Objects.requireNonNull(plan, "plan");
            Objects.requireNonNull(source, "source");
        }
    }
}
