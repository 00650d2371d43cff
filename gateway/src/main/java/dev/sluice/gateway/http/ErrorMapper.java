package dev.sluice.gateway.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.secrets.SecretsException;
import dev.sluice.gateway.core.InvocationOutcome;
import dev.sluice.gateway.core.Refusal;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.tenancy.TenancyException;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.webserver.http.ErrorHandler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.lang.System.Logger.Level;
import java.util.Map;

/**
 * The one place where a failed request becomes an RFC 9457 {@code application/problem+json} response. Domain
 * exceptions are mapped to their problem types here; anything unexpected is logged with its stack trace and answered
 * with a bare 500 that reveals nothing.
 */
public final class ErrorMapper implements ErrorHandler<Throwable> {
    private static final System.Logger LOG = System.getLogger(ErrorMapper.class.getName());
    public static final String PROBLEM_JSON = "application/problem+json";
    /** Fuel the invocation used, on every invocation response (the billing unit; see docs/fuel.md). */
    public static final String FUEL_USED_HEADER = "Sluice-Fuel-Used";

    @Override
    public void handle(ServerRequest req, ServerResponse res, Throwable error) {
        if (res.isSent()) {
            LOG.log(Level.WARNING, "error after the response was sent: " + error);
            return;
        }
        ProblemException problem = toProblem(error);
        // Told to what describes the request afterwards (the trace's server span, the access log): the type, never
        // the detail.
        req.context().register(problem.type());
        send(res, problem, req.path().absolute().rawPath());
    }

    public static ProblemException toProblem(Throwable error) {
        return switch (error) {
            case ProblemException problem -> problem;
            case TenancyException.InvalidInput e -> ProblemException.of(ProblemType.INVALID_REQUEST, e.getMessage());
            case TenancyException.PlanInUse e -> ProblemException.of(ProblemType.PLAN_IN_USE, e.getMessage())
                    .with("tenants", e.tenants());
            case TenancyException.QuotaStoreUnavailable e -> unavailable(ProblemType.QUOTA_UNAVAILABLE, e);
            case TenancyException.StoreUnavailable e -> unavailable(ProblemType.STORE_UNAVAILABLE, e);
            case TenancyException.Managed e -> ProblemException.of(ProblemType.MANAGED_ELSEWHERE, e.getMessage())
                    .with("managed-by", e.manager());
            case SecretsException.Invalid e -> ProblemException.of(ProblemType.INVALID_REQUEST, e.getMessage());
            case SecretsException.Unavailable e -> {
                // The cause (Vault's address, an I/O error) is the provider's business; the message never holds a value.
                LOG.log(Level.WARNING, e.getMessage());
                yield ProblemException.of(ProblemType.SECRETS_UNAVAILABLE, e.getMessage()).header("Retry-After", "1");
            }
            case SchedulerException.InvalidInput e -> ProblemException.of(ProblemType.INVALID_REQUEST, e.getMessage());
            case SchedulerException.ModuleRejected e -> ProblemException.of(ProblemType.MODULE_REJECTED, e.getMessage())
                    .with("reason", InvocationOutcome.slug(e.reason()));
            // The body was not read to its end: the connection cannot carry another request.
            case SchedulerException.AssetsRejected e -> ProblemException.of(ProblemType.ASSETS_REJECTED, e.getMessage())
                    .with("reason", e.reason().text()).header("Connection", "close");
            case SchedulerException.AssetsExceedScratch e -> ProblemException.of(ProblemType.ASSETS_EXCEED_SCRATCH,
                    e.getMessage()).with("bound", e.bound());
            case SchedulerException.FunctionLimit e -> ProblemException.of(ProblemType.FUNCTION_LIMIT, e.getMessage())
                    .with("max-functions", e.limit());
            case SchedulerException.Overloaded e -> ProblemException.of(ProblemType.OVERLOADED, e.getMessage())
                    .header("Retry-After", "1");
            case InvocationFailed e -> invocationProblem(e);
            case SchedulerException.StorageFailure e -> {
                // Shared functions: Redis away, or a module blob missing or not matching its digest (never run).
                LOG.log(Level.WARNING, e.getMessage());
                yield ProblemException.of(ProblemType.STORE_UNAVAILABLE, "the function store cannot be read now;"
                        + " retry shortly").header("Retry-After", "1");
            }
            // The call may have run: never retried here (at most once); the client decides.
            case SchedulerException.WorkerLost e -> {
                // The specifics (worker address, exception texts) are the provider's business, not the tenant's.
                LOG.log(Level.WARNING, e.getMessage());
                yield ProblemException.of(ProblemType.WORKER_LOST, "the worker running the call was lost; it may "
                        + "have run");
            }
            // Helidon's own refusals inside a route (a malformed header met lazily, say): the client's fault.
            case HttpException e when e.status().code() < 500 ->
                    ProblemDirectHandler.problem(e.status().code(), e.getMessage());
            default -> {
                LOG.log(Level.ERROR, "unexpected error", error);
                yield ProblemException.of(ProblemType.INTERNAL_ERROR, "the server could not complete the request");
            }
        };
    }

    /**
     * The problem for a refusal the core decided ({@code dev.sluice.gateway.core}); the edge adds the request's quota
     * headers where it has them.
     */
    public static ProblemException problem(Refusal refusal) {
        return switch (refusal) {
            case Refusal.Unauthenticated r -> ProblemException.of(ProblemType.UNAUTHORIZED, r.message())
                    .header("WWW-Authenticate", "Bearer realm=\"" + r.realm() + "\"");
            case Refusal.AuthFailuresLimited r -> retryAfter(ProblemType.AUTH_RATE_LIMITED, r, r.retryAfterSeconds());
            case Refusal.RateLimited r -> retryAfter(ProblemType.RATE_LIMITED, r, r.retryAfterSeconds());
            case Refusal.ScopeMissing r -> ProblemException.of(ProblemType.FORBIDDEN, r.message())
                    .with("scope", r.scope().text());
            case Refusal.FunctionNotAllowed r -> ProblemException.of(ProblemType.FORBIDDEN, r.message());
            case Refusal.FunctionNotFound r -> ProblemException.of(ProblemType.NOT_FOUND, r.message());
            case Refusal.FunctionLimitReached r -> ProblemException.of(ProblemType.FUNCTION_LIMIT, r.message())
                    .with("max-functions", r.maxFunctions());
            case Refusal.OverMaximum r -> ProblemException.of(ProblemType.INVALID_REQUEST, r.message())
                    .with("max", r.max());
            case Refusal.ConcurrencyLimited r -> retryAfter(ProblemType.CONCURRENCY_LIMITED, r, r.retryAfterSeconds());
            case Refusal.FuelBudgetExhausted r -> retryAfter(ProblemType.FUEL_BUDGET_EXHAUSTED, r,
                    r.retryAfterSeconds());
            case Refusal.InvocationQuotaExceeded r -> retryAfter(ProblemType.INVOCATION_QUOTA_EXCEEDED, r,
                    r.retryAfterSeconds()).with("quota", r.quota());
        };
    }

    private static ProblemException retryAfter(ProblemType type, Refusal refusal, long seconds) {
        return ProblemException.of(type, refusal.message())
                .header("Retry-After", Long.toString(seconds))
                .with("retry-after", seconds);
    }

    /** The shared store did not answer: the client may retry; the cause is logged, never sent (it may name hosts). */
    private static ProblemException unavailable(ProblemType type, TenancyException e) {
        LOG.log(Level.WARNING, e.getMessage());
        return ProblemException.of(type, "the shared store did not answer in time; retry shortly")
                .header("Retry-After", "1");
    }

    private static ProblemException invocationProblem(InvocationFailed e) {
        ProblemType type = switch (e.kind()) {
            case TRAP -> ProblemType.FUNCTION_TRAPPED;
            case TIMEOUT -> ProblemType.FUNCTION_TIMEOUT;
            case MEMORY_LIMIT -> ProblemType.MEMORY_LIMIT;
            case OUTPUT_LIMIT -> ProblemType.OUTPUT_LIMIT;
            case STACK_EXHAUSTED -> ProblemType.STACK_EXHAUSTED;
            case FUEL_EXHAUSTED -> ProblemType.FUEL_EXHAUSTED;
        };
        return ProblemException.of(type, e.getMessage()).with("fuel-used", e.fuelUsed())
                .header(FUEL_USED_HEADER, Long.toString(e.fuelUsed()));
    }

    /** Writes the problem; {@code instance} is the request path (RFC 9457 {@code instance} member). */
    public static void send(ServerResponse res, ProblemException problem, String instance) {
        problem.headers().forEach(res::header);
        res.status(problem.type().status());
        res.header(HeaderNames.CONTENT_TYPE, PROBLEM_JSON);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(body(problem, instance));
    }

    /** The problem document; {@code instance} may be null. */
    static byte[] body(ProblemException problem, String instance) {
        ObjectNode body = Json.object();
        body.put("type", problem.type().uri().toString());
        body.put("title", problem.type().title());
        body.put("status", problem.type().status());
        body.put("detail", problem.detail());
        if (instance != null) {
            body.put("instance", instance);
        }
        for (Map.Entry<String, Object> member : problem.extensions().entrySet()) {
            body.putPOJO(member.getKey(), member.getValue());
        }
        return Json.bytes(body);
    }
}
