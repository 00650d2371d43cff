package dev.sluice.tenancy;

/**
 * The tenancy state a gateway reads on every request and writes through the admin API: tenants, plans and keys.
 * {@link LocalTenancy} keeps them in files for one process; {@link RedisTenancy} shares them between replicas.
 */
public interface TenancyStores {
    TenantStore tenants();

    PlanStore plans();

    ApiKeys keys();
}
