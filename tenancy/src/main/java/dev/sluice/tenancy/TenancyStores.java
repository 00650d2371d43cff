package dev.sluice.tenancy;

import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.local.LocalTenancy;
import dev.sluice.tenancy.plan.PlanStore;
import dev.sluice.tenancy.redis.RedisTenancy;

/**
 * The tenancy state a gateway reads on every request and writes through the admin API: tenants, plans and keys.
 * {@link LocalTenancy} keeps them in files for one process; {@link RedisTenancy} shares them between replicas.
 */
public interface TenancyStores extends AutoCloseable {
    TenantStore tenants();

    PlanStore plans();

    ApiKeys keys();

    /** Whether the stores can answer: false while a shared store was never reached (the gateway is not ready). */
    default boolean ready() {
        return true;
    }

    /** Writes what is recorded lazily (the keys' last-use times); call periodically and at shutdown. */
    default void flush() {
    }

    /** Flushes and releases connections. */
    @Override
    default void close() {
        flush();
    }
}
