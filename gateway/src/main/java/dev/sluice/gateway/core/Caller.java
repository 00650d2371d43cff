package dev.sluice.gateway.core;

import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.plan.TenantLimits;
import java.util.Objects;
import java.util.Optional;

/**
 * An admitted request's identity: the key it presented, that key's tenant, the tenant's effective limits (plan plus
 * overrides, resolved for this request) and the quotas the request was counted against so far.
 */
public record Caller(KeyMetadata key, Tenant tenant, TenantLimits limits, QuotaReport quotas) {
    public Caller {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(quotas, "quotas");
    }

    /** The key the tenant's functions are registered under in the scheduler: the one place that says which. */
    public String registryKey() {
        return functionOwner(tenant);
    }

    /**
     * Who owns a tenant's functions in the scheduler: this creation of the tenant (its uid, never shown to it), so a
     * tenant created again under a deleted one's name never finds the functions it left, even where removing them
     * failed.
     */
    public static String functionOwner(Tenant tenant) {
        return tenant.uid().value();
    }

    /**
     * Empty when the key has {@code scope} and, for an operation on a function ({@code function} not null), may use
     * that function; otherwise why not.
     */
    public Optional<Refusal> check(Scope scope, String function) {
        if (!key.allows(scope)) {
            return Optional.of(new Refusal.ScopeMissing(key.id(), scope));
        }
        if (function != null && !key.allowsFunction(function)) {
            return Optional.of(new Refusal.FunctionNotAllowed(key.id(), function));
        }
        return Optional.empty();
    }
}
