package dev.sluice.tenancy;

import java.util.List;
import java.util.Optional;

/**
 * Where tenants live. Implementations are thread-safe; every write is durable before it returns.
 */
public interface TenantStore {
    /** Creates the tenant or replaces its limits; {@code createdAt} is kept on update. */
    PutResult put(TenantId id, TenantLimits limits);

    Optional<Tenant> find(TenantId id);

    /** All tenants, ordered by id. */
    List<Tenant> list();

    /** @return whether a tenant was removed */
    boolean delete(TenantId id);

    record PutResult(Tenant tenant, boolean created) {}
}
