package dev.sluice.gateway;

import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.http.Requests;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.plan.PlanStore;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.quota.QuotaPolicy;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.quota.RateDecision;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.SocketAddress;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The front of the tenant API, in order: authenticate the API key, resolve its tenant and the tenant's effective
 * limits (plan plus overrides, read per request so a plan change applies at once), take one request from the
 * tenant's rate quota. The key, the tenant, its limits and the response's quota headers are registered in the request
 * context for the handlers behind, which check the key's scopes with {@link #require}.
 *
 * <p>Every authentication failure (no header, malformed, bad checksum, unknown, revoked, expired, tenant gone) gets
 * the very same 401, so a caller learns nothing about which keys exist. Each one also counts against the client's
 * address ({@link AuthFailureLimiter}); past that limit the address gets 429 {@code auth-rate-limited} before its key
 * is looked up, unless the key is one that has worked here recently.
 */
final class TenantGate implements Handler {
    private final ApiKeys keys;
    private final TenantStore tenants;
    private final PlanStore plans;
    private final TenantLimits defaults;
    private final Quotas quotas;
    private final AuthFailureLimiter failures;

    TenantGate(ApiKeys keys, TenantStore tenants, PlanStore plans, TenantLimits defaults, Quotas quotas,
               AuthFailureLimiter failures) {
        this.keys = keys;
        this.tenants = tenants;
        this.plans = plans;
        this.defaults = defaults;
        this.quotas = quotas;
        this.failures = failures;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        String token = Requests.bearerToken(req).orElse(null);
        SocketAddress peer = req.remotePeer().address();
        OptionalLong refusal = failures.refusal(peer, token);
        if (refusal.isPresent()) {
            throw ProblemException.of(ProblemType.AUTH_RATE_LIMITED, "too many failed authentications from this "
                            + "address; retry in " + refusal.getAsLong() + " s")
                    .header("Retry-After", Long.toString(refusal.getAsLong()))
                    .with("retry-after", refusal.getAsLong());
        }
        Optional<KeyMetadata> verified = token == null ? Optional.empty() : keys.verify(token);
        // By the key's uid: a key of a deleted tenant never authenticates one created since under its name.
        Optional<Tenant> found = verified.flatMap(k -> tenants.find(k.tenant()));
        if (found.isEmpty()) {
            failures.failed(peer, token);
            throw unauthorized("sluice");
        }
        failures.succeeded(token);
        KeyMetadata key = verified.get();
        Tenant tenant = found.get();
        TenantLimits limits = plans.resolve(tenant, defaults);
        QuotaHeaders headers = new QuotaHeaders();
        admit(tenant, limits, headers);
        headers.applyTo(res);
        req.context().register(key);
        req.context().register(tenant);
        req.context().register(limits);
        req.context().register(headers);
        res.next();
    }

    static Tenant tenantOf(ServerRequest req) {
        return fromContext(req, Tenant.class);
    }

    /** The tenant's effective limits, resolved once per request from its plan and overrides. */
    static TenantLimits limitsOf(ServerRequest req) {
        return fromContext(req, TenantLimits.class);
    }

    static QuotaHeaders quotaHeadersOf(ServerRequest req) {
        return fromContext(req, QuotaHeaders.class);
    }

    /** Refuses with 403 unless the request's key has {@code scope} (and, for a function, may use that function). */
    static KeyMetadata require(ServerRequest req, Scope scope, String function) {
        KeyMetadata key = fromContext(req, KeyMetadata.class);
        if (!key.allows(scope)) {
            throw ProblemException.of(ProblemType.FORBIDDEN, "key " + key.id() + " lacks the '" + scope.text()
                    + "' scope").with("scope", scope.text());
        }
        if (function != null && !key.allowsFunction(function)) {
            throw ProblemException.of(ProblemType.FORBIDDEN, "key " + key.id() + " may not use function "
                    + function);
        }
        return key;
    }

    private static <T> T fromContext(ServerRequest req, Class<T> type) {
        return req.context().get(type)
                .orElseThrow(() -> new IllegalStateException("TenantGate did not run before " + req.path()));
    }

    static ProblemException unauthorized(String realm) {
        return ProblemException.of(ProblemType.UNAUTHORIZED, "a valid bearer token is required")
                .header("WWW-Authenticate", "Bearer realm=\"" + realm + "\"");
    }

    private void admit(Tenant tenant, TenantLimits limits, QuotaHeaders headers) {
        QuotaPolicy policy = QuotaPolicy.rate(limits.requestsPerSecond(), limits.burst());
        RateDecision decision = quotas.rates().tryAcquire(tenant.uid(), policy);
        headers.add(policy.name(), decision.quota(), decision.windowSeconds(), null, decision.remaining(),
                decision.resetSeconds());
        if (!decision.granted()) {
            quotas.usage().throttled(tenant.uid());
            throw headers.applyTo(ProblemException.of(ProblemType.RATE_LIMITED,
                            "tenant " + tenant.id() + " is over its rate quota of " + limits.requestsPerSecond()
                                    + " requests per second (burst " + limits.burst() + ")")
                    .header("Retry-After", Long.toString(decision.retryAfterSeconds()))
                    .with("retry-after", decision.retryAfterSeconds()));
        }
    }
}
