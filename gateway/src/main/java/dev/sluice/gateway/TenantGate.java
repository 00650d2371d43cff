package dev.sluice.gateway;

import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.http.Requests;
import dev.sluice.tenancy.ApiKeys;
import dev.sluice.tenancy.KeyMetadata;
import dev.sluice.tenancy.PlanStore;
import dev.sluice.tenancy.QuotaPolicy;
import dev.sluice.tenancy.RateDecision;
import dev.sluice.tenancy.RateLimiter;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantLimits;
import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.UsageLedger;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Optional;

/**
 * The front of the tenant API, in order: authenticate the API key, resolve its tenant, take one request from the
 * tenant's rate quota. The resolved {@link Tenant} is registered in the request context for the handlers behind.
 *
 * <p>Every authentication failure (no header, malformed, unknown, revoked, expired, tenant gone) gets the very same
 * 401, so a caller learns nothing about which keys exist.
 */
final class TenantGate implements Handler {
    static final String POLICY = "tenant-rate";

    private final ApiKeys keys;
    private final TenantStore tenants;
    private final PlanStore plans;
    private final TenantLimits defaults;
    private final RateLimiter rateLimiter;
    private final UsageLedger usage;

    TenantGate(ApiKeys keys, TenantStore tenants, PlanStore plans, TenantLimits defaults, RateLimiter rateLimiter,
               UsageLedger usage) {
        this.keys = keys;
        this.tenants = tenants;
        this.plans = plans;
        this.defaults = defaults;
        this.rateLimiter = rateLimiter;
        this.usage = usage;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        Tenant tenant = authenticate(req);
        TenantLimits limits = plans.resolve(tenant, defaults);
        admit(tenant, limits, res);
        req.context().register(tenant);
        req.context().register(limits);
        res.next();
    }

    static Tenant tenantOf(ServerRequest req) {
        return req.context().get(Tenant.class)
                .orElseThrow(() -> new IllegalStateException("TenantGate did not run before " + req.path()));
    }

    /** The tenant's effective limits, resolved once per request from its plan and overrides. */
    static TenantLimits limitsOf(ServerRequest req) {
        return req.context().get(TenantLimits.class)
                .orElseThrow(() -> new IllegalStateException("TenantGate did not run before " + req.path()));
    }

    private Tenant authenticate(ServerRequest req) {
        Optional<Tenant> tenant = Requests.bearerToken(req)
                .flatMap(keys::verify)
                .map(KeyMetadata::tenant)
                .flatMap(tenants::find);
        return tenant.orElseThrow(() -> unauthorized("sluice"));
    }

    static ProblemException unauthorized(String realm) {
        return ProblemException.of(ProblemType.UNAUTHORIZED, "a valid bearer token is required")
                .header("WWW-Authenticate", "Bearer realm=\"" + realm + "\"");
    }

    private void admit(Tenant tenant, TenantLimits limits, ServerResponse res) {
        RateDecision decision = rateLimiter.tryAcquire(tenant.id(),
                QuotaPolicy.rate(limits.requestsPerSecond(), limits.burst()));
        // IETF httpapi ratelimit-headers: the policy, and what remains of it, on every response.
        String policy = "\"" + POLICY + "\";q=" + decision.quota() + ";w=" + decision.windowSeconds();
        String remaining = "\"" + POLICY + "\";r=" + decision.remaining() + ";t=" + decision.resetSeconds();
        res.header("RateLimit-Policy", policy);
        res.header("RateLimit", remaining);
        if (!decision.granted()) {
            usage.throttled(tenant.id());
            throw ProblemException.of(ProblemType.RATE_LIMITED,
                            "tenant " + tenant.id() + " is over its rate quota of " + limits.requestsPerSecond()
                                    + " requests per second (burst " + limits.burst() + ")")
                    .header("Retry-After", Long.toString(decision.retryAfterSeconds()))
                    .header("RateLimit-Policy", policy)
                    .header("RateLimit", remaining)
                    .with("retry-after", decision.retryAfterSeconds());
        }
    }
}
