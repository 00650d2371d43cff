package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sluice.gateway.core.Refusal;
import dev.sluice.gateway.http.ErrorMapper;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.TenantId;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every refusal the core can decide has its problem type, its message as the detail, and, where the client should
 * come back later, the same seconds in {@code Retry-After} and in the {@code retry-after} member.
 */
class RefusalProblemsTest {
    private static final TenantId ACME = TenantId.of("acme");

    @Test
    void everyRefusalMapsToItsProblemTypeAndCarriesItsRetryAfterTwice() {
        Map<Refusal, ProblemType> cases = new LinkedHashMap<>();
        cases.put(new Refusal.Unauthenticated("sluice"), ProblemType.UNAUTHORIZED);
        cases.put(new Refusal.AuthFailuresLimited(7), ProblemType.AUTH_RATE_LIMITED);
        cases.put(new Refusal.RateLimited(ACME, 10, 5, 1), ProblemType.RATE_LIMITED);
        cases.put(new Refusal.ScopeMissing("k1", Scope.DEPLOY), ProblemType.FORBIDDEN);
        cases.put(new Refusal.FunctionNotAllowed("k1", "other"), ProblemType.FORBIDDEN);
        cases.put(new Refusal.FunctionNotFound(FunctionName.of("nope")), ProblemType.NOT_FOUND);
        cases.put(new Refusal.FunctionLimitReached(ACME, 3, 3), ProblemType.FUNCTION_LIMIT);
        cases.put(new Refusal.OverMaximum("fuel", 11, 10), ProblemType.INVALID_REQUEST);
        cases.put(new Refusal.ConcurrencyLimited(ACME, 2, 2), ProblemType.CONCURRENCY_LIMITED);
        cases.put(new Refusal.FuelBudgetExhausted(ACME, 5, 100, FunctionName.of("f"), 10, 3600),
                ProblemType.FUEL_BUDGET_EXHAUSTED);
        cases.put(new Refusal.InvocationQuotaExceeded(ACME, 60, "invocations-minute", 42),
                ProblemType.INVOCATION_QUOTA_EXCEEDED);

        for (Map.Entry<Refusal, ProblemType> c : cases.entrySet()) {
            ProblemException problem = ErrorMapper.problem(c.getKey());
            assertEquals(c.getValue(), problem.type(), c.getKey().toString());
            assertEquals(c.getKey().message(), problem.detail());
            Object member = problem.extensions().get("retry-after");
            String header = problem.headers().get("Retry-After");
            if (member == null) {
                assertNull(header, c.getKey().toString());
            } else {
                assertEquals(member.toString(), header, c.getKey().toString());
            }
        }
        assertEquals("Bearer realm=\"sluice\"",
                ErrorMapper.problem(new Refusal.Unauthenticated("sluice")).headers().get("WWW-Authenticate"));
        assertEquals("1", ErrorMapper.problem(new Refusal.ConcurrencyLimited(ACME, 2, 2)).headers().get("Retry-After"));
        assertEquals("invocations-minute", ErrorMapper.problem(
                new Refusal.InvocationQuotaExceeded(ACME, 60, "invocations-minute", 42)).extensions().get("quota"));
    }
}
