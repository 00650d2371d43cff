package dev.sluice.gateway.core;

import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.plan.PlanStore;
import dev.sluice.tenancy.quota.QuotaPolicy;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.quota.RateDecision;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.TenantStore;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The front of the tenant API, in order: authenticate the API key, resolve its tenant and the tenant's effective
 * limits (plan plus overrides, read per request so a plan change applies at once), take one request from the tenant's
 * rate quota. Answers with an {@link Access} value; the protocol edge renders it.
 *
 * <p>Every authentication failure (no key, malformed, bad checksum, unknown, revoked, expired, tenant gone) is the
 * very same {@link Refusal.Unauthenticated}, so a caller learns nothing about which keys exist. Each one also counts
 * against the client's address ({@link AuthFailures}); past that limit the address is refused with
 * {@link Refusal.AuthFailuresLimited} before its key is looked up. Thread-safe.
 */
public final class TenantAccess {
    /** The realm a tenant's key belongs to. */
    public static final String REALM = "sluice";

    private final ApiKeys keys;
    private final TenantStore tenants;
    private final PlanStore plans;
    private final Supplier<TenantLimits> defaults;
    private final Quotas quotas;
    private final AuthFailures failures;

    public TenantAccess(ApiKeys keys, TenantStore tenants, PlanStore plans, TenantLimits defaults, Quotas quotas,
                        AuthFailures failures) {
        this(keys, tenants, plans, constant(defaults), quotas, failures);
    }

    /** @param defaults the limits of a tenant on no plan, read per request (they change with the configuration) */
    public TenantAccess(ApiKeys keys, TenantStore tenants, PlanStore plans, Supplier<TenantLimits> defaults,
                        Quotas quotas, AuthFailures failures) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.tenants = Objects.requireNonNull(tenants, "tenants");
        this.plans = Objects.requireNonNull(plans, "plans");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.quotas = Objects.requireNonNull(quotas, "quotas");
        this.failures = Objects.requireNonNull(failures, "failures");
    }

    private static Supplier<TenantLimits> constant(TenantLimits defaults) {
        Objects.requireNonNull(defaults, "defaults");
        return () -> defaults;
    }

    /**
     * @param token the presented key, empty when the request carried none (or not one well-formed bearer token)
     * @param peer  the client's address, which failed authentications count against
     */
    public Access admit(Optional<String> token, SocketAddress peer) {
        String presented = token.orElse(null);
        OptionalLong wait = failures.refusal(peer, presented);
        if (wait.isPresent()) {
            return new Access.Denied(new Refusal.AuthFailuresLimited(wait.getAsLong()), QuotaReport.none());
        }
        Optional<KeyMetadata> verified = token.flatMap(keys::verify);
        Optional<Tenant> found = verified.flatMap(k -> tenants.find(k.tenant()));
        if (found.isEmpty()) {
            failures.failed(peer, presented);
            return new Access.Denied(new Refusal.Unauthenticated(REALM), QuotaReport.none());
        }
        failures.succeeded(presented);
        Tenant tenant = found.get();
        TenantLimits limits = plans.resolve(tenant, defaults.get());
        QuotaPolicy policy = QuotaPolicy.rate(limits.requestsPerSecond(), limits.burst());
        RateDecision decision = quotas.rates().tryAcquire(tenant.uid(), policy);
        QuotaReport report = QuotaReport.none().plus(new QuotaReport.Item(policy.name(), decision.quota(),
                decision.windowSeconds(), null, decision.remaining(), decision.resetSeconds()));
        if (!decision.granted()) {
            quotas.usage().throttled(tenant.uid());
            return new Access.Denied(new Refusal.RateLimited(tenant.id(), limits.requestsPerSecond(), limits.burst(),
                    decision.retryAfterSeconds()), report);
        }
        return new Access.Granted(new Caller(verified.get(), tenant, limits, report));
    }
}
