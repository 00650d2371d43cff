package dev.sluice.tenancy;

import java.util.List;
import java.util.Optional;

/**
 * Where tenants live. Implementations are thread-safe; every write is durable before it returns.
 */
public interface TenantStore {
    /**
     * Creates the tenant or replaces its plan and overrides; {@code createdAt} is kept on update.
     *
     * @throws TenancyException.InvalidInput when the plan does not exist
     */
    PutResult put(TenantId id, Optional<String> plan, LimitOverrides overrides);

    /** A tenant on no plan with exactly these limits (every field overridden), as before plans existed. */
    default PutResult put(TenantId id, TenantLimits limits) {
        return put(id, Optional.empty(), LimitOverrides.of(limits));
    }

    Optional<Tenant> find(TenantId id);

    /** All tenants, ordered by id. */
    List<Tenant> list();

    /** @return whether a tenant was removed */
    boolean delete(TenantId id);

    record PutResult(Tenant tenant, boolean created) {}
}
