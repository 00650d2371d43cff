package dev.sluice.tenancy;

import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.TenantLimits;

import java.util.List;
import java.util.Optional;

/**
 * Where tenants live. Implementations are thread-safe; every write is durable before it returns.
 */
public interface TenantStore {
    /**
     * Creates the tenant or replaces its plan and overrides; {@code createdAt} and the {@link Tenant#uid} are kept on
     * update, and a creation draws a new uid (so a tenant deleted and created again is another tenant).
     *
     * @throws TenancyException.InvalidInput when the plan does not exist
     */
    PutResult put(TenantId id, Optional<String> plan, LimitOverrides overrides);

    /** A tenant on no plan with exactly these limits (every field overridden), as before plans existed. */
    default PutResult put(TenantId id, TenantLimits limits) {
        return put(id, Optional.empty(), LimitOverrides.of(limits));
    }

    Optional<Tenant> find(TenantId id);

    /**
     * The tenant only while it is this creation of it: empty once it was deleted, even if a tenant of the same name
     * was created since. What is keyed by a uid (a key's owner, say) resolves its tenant through this.
     */
    default Optional<Tenant> find(TenantUid uid) {
        return uid == null ? Optional.empty() : find(uid.name()).filter(t -> t.uid().equals(uid));
    }

    /** All tenants, ordered by id. */
    List<Tenant> list();

    /** @return whether a tenant was removed */
    boolean delete(TenantId id);

    record PutResult(Tenant tenant, boolean created) {}
}
