package dev.sluice.gateway.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.config.secrets.SecretName;
import dev.sluice.config.secrets.SecretValue;
import dev.sluice.config.secrets.SecretsException;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.tenancy.quota.ConcurrencyLimiter;
import dev.sluice.tenancy.usage.DailyUsage;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.plan.TenantLimits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The invocation chain without a server: real quotas, the real in-process scheduler and real guests, on fake clocks.
 * Each test states which step decided and what it left behind (usage, fuel, slots).
 */
class InvocationsTest extends CoreTest {
    private static final TenantId ACME = TenantId.of("acme");
    private static final FunctionName HELLO = FunctionName.of("hello");

    Invocations invocations;

    @BeforeEach
    void open() {
        invocations = core.invocations(InFlight.uncounted());
    }

    private DailyUsage today() {
        return core.quotas.usage().daily(core.uid("acme"), 1).getFirst();
    }

    @Test
    void completedCallCarriesTheGuestsOutputAndIsAccountedWithItsFuel() {
        Caller caller = core.caller(core.tenant("acme", Map.of()));
        core.deploy("acme", "hello", "hello", 1_000_000);
        CoreFixture.Call call = new CoreFixture.Call();

        var completed = assertInstanceOf(InvocationOutcome.Completed.class, invocations.invoke(caller, HELLO, call));

        assertEquals("Content-Type: text/plain\n\nhello \n",
                new String(completed.result().stdout(), StandardCharsets.UTF_8));
        assertEquals(1, call.reads.get());
        assertEquals(caller.quotas(), call.announced, "no invocation quota configured: only the rate");
        long fuel = completed.result().fuelUsed();
        assertTrue(fuel > 0);
        assertEquals(List.of(1L, 0L, fuel), List.of(today().invocations(), today().errors(), today().fuel()));
    }

    @Test
    void theFunctionsSecretsJoinItsEnvironmentAndNoOtherFunctionsDo() {
        Caller caller = core.caller(core.tenant("acme", Map.of()));
        core.deploy("acme", "env", "env", 1_000_000);
        core.deploy("acme", "other", "env", 1_000_000);
        String owner = core.uid("acme").value();
        core.secrets.put(owner, "env", SecretName.of("DB_PASSWORD"), SecretValue.of("p4ss"));

        var completed = assertInstanceOf(InvocationOutcome.Completed.class,
                invocations.invoke(caller, FunctionName.of("env"), new CoreFixture.Call()));
        String env = new String(completed.result().stdout(), StandardCharsets.UTF_8);
        assertTrue(env.lines().anyMatch("DB_PASSWORD=p4ss"::equals), env); // one per line, in no set order
        var other = assertInstanceOf(InvocationOutcome.Completed.class,
                invocations.invoke(caller, FunctionName.of("other"), new CoreFixture.Call()));
        assertTrue(!new String(other.result().stdout(), StandardCharsets.UTF_8).contains("p4ss"));
    }

    @Test
    void secretsThatCannotBeReadStopTheCallBeforeAnyQuotaIsTaken() {
        Caller caller = core.caller(core.tenant("acme",
                Map.of(Limit.INVOCATIONS_PER_MINUTE, 1L, Limit.MAX_CONCURRENCY, 1L)));
        core.deploy("acme", "hello", "hello", 1_000_000);
        Invocations away = core.invocations(InFlight.uncounted(), FunctionSecrets.unavailable("Vault is sealed"));
        CoreFixture.Call call = new CoreFixture.Call();

        SecretsException.Unavailable e = assertThrows(SecretsException.Unavailable.class,
                () -> away.invoke(caller, HELLO, call));

        assertEquals("Vault is sealed", e.getMessage());
        assertNull(call.announced, "never admitted");
        assertInstanceOf(InvocationOutcome.Completed.class, invocations.invoke(caller, HELLO, new CoreFixture.Call()),
                "the minute's one invocation and the one slot are still there");
        assertEquals(1, today().invocations(), "only the call that ran is accounted");
    }

    @Test
    void nonZeroExitIsAFunctionFailureAccountedAsAnError() {
        Caller caller = core.caller(core.tenant("acme", Map.of()));
        core.deploy("acme", "exit", "exit-code", 1_000_000);

        var exited = assertInstanceOf(InvocationOutcome.Exited.class,
                invocations.invoke(caller, FunctionName.of("exit"), new CoreFixture.Call()));

        assertEquals(3, exited.result().exitCode());
        assertEquals(List.of(1L, 1L), List.of(today().invocations(), today().errors()));
    }

    @Test
    void trapIsAFailedOutcomeWhoseFuelIsSettledAndAccounted() {
        Caller caller = core.caller(core.tenant("acme", Map.of(Limit.FUEL_PER_DAY, 10_000_000L)));
        core.deploy("acme", "trap", "trap", 1_000_000);

        var failed = assertInstanceOf(InvocationOutcome.Failed.class,
                invocations.invoke(caller, FunctionName.of("trap"), new CoreFixture.Call()));

        assertEquals(SchedulerException.InvocationFailed.Kind.TRAP, failed.failure().kind());
        assertEquals(List.of(1L, 1L, failed.failure().fuelUsed()),
                List.of(today().invocations(), today().errors(), today().fuel()));
        long left = core.quotas.fuel().reserve(core.uid("acme"), 10_000_000L, 1).remaining();
        assertEquals(10_000_000L - failed.failure().fuelUsed() - 1, left, "the unused reservation was refunded");
    }

    @Test
    void missingFunctionIsNotFoundWithoutReadingTheRequestOrTakingAQuota() {
        Caller caller = core.caller(core.tenant("acme", Map.of(Limit.INVOCATIONS_PER_MINUTE, 1L)));
        CoreFixture.Call call = new CoreFixture.Call();

        var refused = assertInstanceOf(InvocationOutcome.Refused.class, invocations.invoke(caller, HELLO, call));

        assertEquals(new Refusal.FunctionNotFound(HELLO), refused.refusal());
        assertEquals(0, call.reads.get(), "the body is not read for a function that does not exist");
        assertEquals(caller.quotas(), refused.quotas());
        core.deploy("acme", "hello", "hello", 1_000_000);
        assertInstanceOf(InvocationOutcome.Completed.class, invocations.invoke(caller, HELLO, call),
                "the minute's one invocation was not used up");
    }

    @Test
    void keyWithoutTheInvokeScopeOrRestrictedToOtherFunctionsIsRefusedBeforeTheLookup() {
        IssuedKey readOnly = core.tenant("acme", Map.of(), Set.of(Scope.READ));
        core.deploy("acme", "hello", "hello", 1_000_000);

        var refused = assertInstanceOf(InvocationOutcome.Refused.class,
                invocations.invoke(core.caller(readOnly), HELLO, new CoreFixture.Call()));

        assertEquals(new Refusal.ScopeMissing(readOnly.metadata().id(), Scope.INVOKE), refused.refusal());
        assertEquals("key " + readOnly.metadata().id() + " lacks the 'invoke' scope", refused.refusal().message());
    }

    @Test
    void tenantWithAllItsSlotsTakenIsRefusedAfterReadingAndBeforeRunning() {
        Caller caller = core.caller(core.tenant("acme", Map.of(Limit.MAX_CONCURRENCY, 1L)));
        core.deploy("acme", "hello", "hello", 1_000_000);
        CoreFixture.Call call = new CoreFixture.Call();
        try (ConcurrencyLimiter.Lease held = core.quotas.concurrency().tryAcquire(core.uid("acme"), 1, Duration.ofMinutes(1))
                .lease().orElseThrow()) {
            var refused = assertInstanceOf(InvocationOutcome.Refused.class, invocations.invoke(caller, HELLO, call));

            assertEquals(new Refusal.ConcurrencyLimited(ACME, 1, 1), refused.refusal());
            assertEquals(1, refused.refusal() instanceof Refusal.ConcurrencyLimited c ? c.retryAfterSeconds() : -1);
            assertEquals(new QuotaReport.Item("concurrency", 1, 0, "concurrent-requests", 0, 0),
                    refused.quotas().items().getLast());
            assertEquals(2, refused.quotas().items().size(), "the rate, then the slot");
            assertNull(call.announced, "never admitted");
            assertEquals(List.of(0L, 1L), List.of(today().invocations(), today().throttles()));
        }
        assertInstanceOf(InvocationOutcome.Completed.class, invocations.invoke(caller, HELLO, call));
    }

    @Test
    void fuelBudgetShortOfTheCallsLimitRefusesUntilTheDayTurnsAndGivesTheSlotBack() {
        Caller caller = core.caller(core.tenant("acme",
                Map.of(Limit.MAX_CONCURRENCY, 1L, Limit.FUEL_PER_DAY, 500_000L, Limit.INVOCATIONS_PER_MINUTE, 5L)));
        core.deploy("acme", "hello", "hello", 1_000_000);

        var refused = assertInstanceOf(InvocationOutcome.Refused.class,
                invocations.invoke(caller, HELLO, new CoreFixture.Call()));

        var exhausted = assertInstanceOf(Refusal.FuelBudgetExhausted.class, refused.refusal());
        assertEquals(List.of(500_000L, 500_000L, 1_000_000L), List.of(exhausted.remaining(), exhausted.fuelPerDay(),
                exhausted.fuel()));
        assertTrue(exhausted.retryAfterSeconds() >= 1 && exhausted.retryAfterSeconds() <= 86_400);
        assertEquals(List.of("rate", "concurrency", "fuel-day"),
                refused.quotas().items().stream().map(QuotaReport.Item::name).toList(), "counts not reached");
        assertTrue(core.quotas.concurrency().tryAcquire(core.uid("acme"), 1, Duration.ofMinutes(1)).granted(),
                "the slot taken before the fuel check was given back");
    }

    @Test
    void invocationCountsAreTakenLastAndRefuseWithTheirWindow() {
        Caller caller = core.caller(core.tenant("acme", Map.of(Limit.INVOCATIONS_PER_MINUTE, 1L)));
        core.deploy("acme", "hello", "hello", 1_000_000);
        CoreFixture.Call first = new CoreFixture.Call();
        assertInstanceOf(InvocationOutcome.Completed.class, invocations.invoke(caller, HELLO, first));
        assertEquals(List.of("rate", "invocations-minute"),
                first.announced.items().stream().map(QuotaReport.Item::name).toList());

        var refused = assertInstanceOf(InvocationOutcome.Refused.class,
                invocations.invoke(caller, HELLO, new CoreFixture.Call()));

        var exceeded = assertInstanceOf(Refusal.InvocationQuotaExceeded.class, refused.refusal());
        assertEquals("invocations-minute", exceeded.quota());
        assertEquals("tenant acme used its 1 invocations (invocations-minute)", exceeded.message());
        assertTrue(exceeded.retryAfterSeconds() >= 1 && exceeded.retryAfterSeconds() <= 60);
        core.advance(Duration.ofMinutes(1));
        assertInstanceOf(InvocationOutcome.Completed.class, invocations.invoke(caller, HELLO, new CoreFixture.Call()));
    }

    @Test
    void whenTheDispatchIsRefusedTheSlotAndTheReservationAreGivenBackAndNothingIsAccounted() {
        Caller caller = core.caller(core.tenant("acme",
                Map.of(Limit.MAX_CONCURRENCY, 1L, Limit.FUEL_PER_DAY, 1_000_000L)));
        core.deploy("acme", "hello", "hello", 1_000_000);
        IllegalStateException stopping = new IllegalStateException("stopping");
        Invocations refusing = core.invocations(new InFlight() {
            @Override
            public <T> T run(Supplier<T> work) {
                throw stopping;
            }
        });
        CoreFixture.Call call = new CoreFixture.Call();

        assertSame(stopping, assertThrows(IllegalStateException.class, () -> refusing.invoke(caller, HELLO, call)));

        assertEquals(3, call.announced.items().size(), "admitted (rate, slot, fuel) before the dispatch refused");
        assertEquals(List.of(), core.quotas.usage().daily(core.uid("acme"), 1), "no invocation, no fuel accounted");
        assertInstanceOf(InvocationOutcome.Completed.class, invocations.invoke(caller, HELLO, call),
                "the slot and the whole day's fuel are there again");
    }

    @Test
    void functionRunsUnderTheTenantsCurrentMaximumsNotTheOnesItWasDeployedWith() {
        core.tenant("acme", Map.of());
        FunctionSpec deployed = core.deploy("acme", "hello", "hello", 1_000_000);
        TenantLimits smaller = TenantLimits.of(10, 10, 1, 50, 1 << 20, 1_000);

        FunctionSpec now = Invocations.withinLimits(deployed, smaller);

        assertEquals(List.of(1L, 50L, 1_000L), List.of((long) now.memoryPages(), now.timeoutMs(), now.fuel()));
        assertSame(deployed, Invocations.withinLimits(deployed, CoreFixture.DEFAULTS), "within limits: unchanged");
    }
}
