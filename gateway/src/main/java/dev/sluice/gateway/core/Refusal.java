package dev.sluice.gateway.core;

import dev.sluice.scheduler.FunctionName;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.TenantId;

/**
 * Why the core turned a request away, as a value: the protocol edge decides how it looks (over HTTP, the problem type
 * and status {@code ErrorMapper} maps it to). {@link #message} is the human explanation, safe to send to the caller:
 * it names only the caller's own tenant, key and functions. Refusals that a client should retry later carry the
 * seconds to wait.
 */
public sealed interface Refusal {
    String message();

    /** No key, a malformed, unknown, revoked or expired one, or its tenant is gone: all alike, on purpose. */
    record Unauthenticated(String realm) implements Refusal {
        @Override
        public String message() {
            return "a valid bearer token is required";
        }
    }

    /** The client's address failed to authenticate too often; refused before its key is looked up. */
    record AuthFailuresLimited(long retryAfterSeconds) implements Refusal {
        @Override
        public String message() {
            return "too many failed authentications from this address; retry in " + retryAfterSeconds + " s";
        }
    }

    /** The tenant is over its request rate. */
    record RateLimited(TenantId tenant, long requestsPerSecond, long burst, long retryAfterSeconds)
            implements Refusal {
        @Override
        public String message() {
            return "tenant " + tenant + " is over its rate quota of " + requestsPerSecond
                    + " requests per second (burst " + burst + ")";
        }
    }

    /** The key lacks the scope the operation needs. */
    record ScopeMissing(String keyId, Scope scope) implements Refusal {
        @Override
        public String message() {
            return "key " + keyId + " lacks the '" + scope.text() + "' scope";
        }
    }

    /** The key is restricted to other functions. */
    record FunctionNotAllowed(String keyId, String function) implements Refusal {
        @Override
        public String message() {
            return "key " + keyId + " may not use function " + function;
        }
    }

    /** The tenant has no such function (another tenant's function is not found either). */
    record FunctionNotFound(FunctionName name) implements Refusal {
        @Override
        public String message() {
            return "no function " + name;
        }
    }

    /** A new function would exceed the tenant's {@code max-functions}. */
    record FunctionLimitReached(TenantId tenant, int count, long maxFunctions) implements Refusal {
        @Override
        public String message() {
            return "tenant " + tenant + " has " + count + " functions, the most its plan allows";
        }
    }

    /** A deploy parameter asks for more than the tenant's maximum. */
    record OverMaximum(String parameter, long value, long max) implements Refusal {
        @Override
        public String message() {
            return parameter + ": " + value + " (expected: <= " + max + ", the tenant's maximum)";
        }
    }

    /** The tenant has all its allowed invocations in flight. */
    record ConcurrencyLimited(TenantId tenant, int inFlight, int limit) implements Refusal {
        /** A slot frees as soon as any call ends: worth retrying at once, after a breath. */
        public long retryAfterSeconds() {
            return 1;
        }

        @Override
        public String message() {
            return "tenant " + tenant + " already has " + inFlight + " of its " + limit + " invocations in flight";
        }
    }

    /** The day's fuel budget cannot cover the call's whole fuel limit. */
    record FuelBudgetExhausted(TenantId tenant, long remaining, long fuelPerDay, FunctionName function, long fuel,
                               long retryAfterSeconds) implements Refusal {
        @Override
        public String message() {
            return "tenant " + tenant + " has " + remaining + " of its " + fuelPerDay + " fuel left today; function "
                    + function + " may use " + fuel;
        }
    }

    /** The tenant used its invocations of the minute or of the day ({@code quota} names which). */
    record InvocationQuotaExceeded(TenantId tenant, long invocations, String quota, long retryAfterSeconds)
            implements Refusal {
        @Override
        public String message() {
            return "tenant " + tenant + " used its " + invocations + " invocations (" + quota + ")";
        }
    }
}
