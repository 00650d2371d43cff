package dev.sluice.tenancy.plan;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenancyStoresContract;
import dev.sluice.tenancy.auth.KeySpec;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.quota.FailPolicy;

import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LimitsTest {
    static String rejected(Runnable construct) {
        return assertThrows(TenancyException.InvalidInput.class, construct::run).getMessage();
    }

    @Test
    void everyLimitHasItsKebabCaseKeyAndParsesBack() {
        for (Limit limit : Limit.values()) {
            assertEquals(limit, Limit.parse(limit.key()));
            assertTrue(limit.key().matches("[a-z]+(-[a-z]+)*"), limit.key());
        }
        assertTrue(rejected(() -> Limit.parse("brust")).startsWith("unknown limit 'brust' (expected one of: "
                + "requests-per-second, burst,"));
    }

    @Test
    void requiredLimitsMustBePositiveAndOptionalQuotasAcceptZeroAsUnlimited() {
        assertEquals("burst: 0 (expected: > 0)", rejected(() -> Limit.BURST.validate(0)));
        assertEquals(0, Limit.INVOCATIONS_PER_DAY.validate(0));
        assertEquals("max-concurrency: -1 (expected: >= 0, 0 for unlimited)",
                rejected(() -> Limit.MAX_CONCURRENCY.validate(-1)));
        assertEquals("max-memory-pages: 65537 (expected: <= 65536)",
                rejected(() -> Limit.MAX_MEMORY_PAGES.validate(65_537)));
        assertEquals(Set.of(Limit.MAX_CONCURRENCY, Limit.FUEL_PER_DAY, Limit.INVOCATIONS_PER_MINUTE,
                        Limit.INVOCATIONS_PER_DAY, Limit.MAX_FUNCTIONS),
                Set.of(Limit.values()).stream().filter(Limit::unlimitedAtZero)
                        .collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void overridesReplaceOnlyTheirFieldsAndAreValidated() {
        TenantLimits base = TenancyStoresContract.SILVER;
        LimitOverrides overrides = LimitOverrides.none().with(Limit.MAX_FUNCTIONS, 0).with(FailPolicy.FAIL_OPEN);

        TenantLimits effective = base.with(overrides);

        assertEquals(0, effective.maxFunctions());
        assertEquals(Optional.of(FailPolicy.FAIL_OPEN), effective.quotaFailPolicy());
        EnumMap<Limit, Long> unchanged = new EnumMap<>(base.asMap());
        unchanged.put(Limit.MAX_FUNCTIONS, 0L);
        assertEquals(unchanged, effective.asMap());
        assertEquals("requests-per-second: -5 (expected: > 0)",
                rejected(() -> LimitOverrides.none().with(Limit.REQUESTS_PER_SECOND, -5)));
        assertEquals(base, base.with(LimitOverrides.none()));
    }

    @Test
    void completeLimitsNameTheFirstMissingKey() {
        Map<Limit, Long> partial = new EnumMap<>(TenancyStoresContract.SILVER.asMap());
        partial.remove(Limit.FUEL_PER_DAY);

        assertEquals("fuel-per-day: missing (expected: an integer)",
                rejected(() -> TenantLimits.of(partial, Optional.empty())));
    }

    @Test
    void planNamesFollowTheTenantIdRule() {
        assertEquals("plan: 'Gold' (expected: [a-z0-9][a-z0-9-]{0,62})",
                rejected(() -> new Plan("Gold", TenancyStoresContract.SILVER)));
        assertTrue(rejected(() -> new Plan("-x", TenancyStoresContract.SILVER)).startsWith("plan: '-x'"));
    }

    @Test
    void keySpecsNeedAScopeAndValidFunctionNames() {
        assertTrue(rejected(() -> KeySpec.named("ci").withScopes(Set.of())).startsWith("scopes: empty"));
        assertTrue(rejected(() -> KeySpec.named("ci").withFunctions(Set.of())).startsWith("functions: 0 names"));
        assertTrue(rejected(() -> KeySpec.named("ci").withFunctions(Set.of("../etc"))).startsWith(
                "functions: '../etc'"));
        assertEquals("scopes: 'admin' (expected: invoke, deploy or read)", rejected(() -> Scope.parse("admin")));
    }
}
