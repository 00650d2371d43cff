package dev.sluice.gateway;

import dev.sluice.gateway.core.Access;
import dev.sluice.gateway.core.Caller;
import dev.sluice.gateway.core.Refusal;
import dev.sluice.gateway.core.TenantAccess;
import dev.sluice.gateway.http.ErrorMapper;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.Requests;
import dev.sluice.gateway.metrics.SluiceMetrics;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.Scope;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Objects;

/**
 * The HTTP front of the tenant API: hands the bearer token and the client's address to {@link TenantAccess} (which
 * authenticates, resolves the tenant and its limits, and takes one request from its rate quota) and renders the
 * decision. Admitted, the response gets the rate quota's headers and the {@link Caller} is registered in the request
 * context for the handlers behind; refused, the problem is thrown for {@link ErrorMapper}.
 *
 * <p>Every authentication failure gets the very same 401, so a caller learns nothing about which keys exist; past
 * too many from one address, 429 {@code auth-rate-limited} before the key is looked up (see
 * {@link AuthFailureLimiter}).
 */
final class TenantGate implements Handler {
    private final TenantAccess access;
    private final SluiceMetrics metrics;

    TenantGate(TenantAccess access, SluiceMetrics metrics) {
        this.access = Objects.requireNonNull(access, "access");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        switch (access.admit(Requests.bearerToken(req), req.remotePeer().address())) {
            case Access.Denied denied when denied.refusal() instanceof Refusal.RateLimited rate -> {
                metrics.throttled(rate.tenant().value(), SluiceMetrics.QuotaKind.RATE);
                throw QuotaHeaders.applyTo(ErrorMapper.problem(rate), denied.quotas());
            }
            case Access.Denied denied -> throw QuotaHeaders.applyTo(ErrorMapper.problem(denied.refusal()),
                    denied.quotas());
            case Access.Granted granted -> {
                QuotaHeaders.applyTo(res, granted.caller().quotas());
                req.context().register(granted.caller());
                res.next();
            }
        }
    }

    /** The admitted caller: its key, tenant, limits (resolved once per request) and the quotas counted so far. */
    static Caller callerOf(ServerRequest req) {
        return req.context().get(Caller.class)
                .orElseThrow(() -> new IllegalStateException("TenantGate did not run before " + req.path()));
    }

    /** Refuses with 403 unless the request's key has {@code scope} (and, for a function, may use that function). */
    static KeyMetadata require(ServerRequest req, Scope scope, String function) {
        Caller caller = callerOf(req);
        caller.check(scope, function).ifPresent(refusal -> {
            throw ErrorMapper.problem(refusal);
        });
        return caller.key();
    }

    static ProblemException unauthorized(String realm) {
        return ErrorMapper.problem(new Refusal.Unauthenticated(realm));
    }
}
