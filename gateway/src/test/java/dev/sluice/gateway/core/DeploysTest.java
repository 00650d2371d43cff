package dev.sluice.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.TenantId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The deploy chain without a server: what is refused before the module is read, and what reaches the registry. */
class DeploysTest extends CoreTest {
    private static final FunctionName HELLO = FunctionName.of("hello");

    /** What the chain asked of the deploy call and of the slots, in order. */
    final List<String> log = new ArrayList<>();
    final Slots slots = new Slots(log);
    Deploys deploys;

    @BeforeEach
    void open() {
        deploys = new Deploys(core.scheduler.functions(), slots, InFlight.uncounted(), 5_000);
    }

    @Test
    void deployWithoutParametersGetsTheTenantsMaximumsAndTheDefaultTimeoutOnADeployThread() {
        Caller caller = core.caller(core.tenant("acme", Map.of(Limit.MAX_MEMORY_PAGES, 4L)));
        Call call = new Call("hello");

        var deployed = assertInstanceOf(DeployOutcome.Deployed.class, deploys.deploy(caller, HELLO, call));

        FunctionSpec spec = deployed.deployment().spec();
        assertTrue(deployed.deployment().created());
        assertEquals(List.of(4L, 5_000L, 1_000_000_000L), List.of((long) spec.memoryPages(), spec.timeoutMs(),
                spec.fuel()));
        assertEquals(List.of("expect-module", "admit acme", "module 1048576", "run", "close"), log);
        assertEquals(spec, core.scheduler.functions().find(core.uid("acme").value(), HELLO).orElseThrow());
    }

    @Test
    void parameterOverTheTenantsMaximumIsRefusedBeforeTheModuleIsReadOrAdmitted() {
        Caller caller = core.caller(core.tenant("acme", Map.of(Limit.MAX_TIMEOUT_MS, 2_000L)));
        Call call = new Call("hello").with("timeout-ms", 2_001);

        var refused = assertInstanceOf(DeployOutcome.Refused.class, deploys.deploy(caller, HELLO, call));

        assertEquals(new Refusal.OverMaximum("timeout-ms", 2_001, 2_000), refused.refusal());
        assertEquals("timeout-ms: 2001 (expected: <= 2000, the tenant's maximum)", refused.refusal().message());
        assertEquals(List.of(), log, "nothing admitted, nothing read");
    }

    @Test
    void defaultTimeoutIsCappedByTheTenantsMaximumRatherThanRefused() {
        Caller caller = core.caller(core.tenant("acme", Map.of(Limit.MAX_TIMEOUT_MS, 2_000L)));

        var deployed = assertInstanceOf(DeployOutcome.Deployed.class,
                deploys.deploy(caller, HELLO, new Call("hello").with("fuel", 7_000)));

        assertEquals(2_000, deployed.deployment().spec().timeoutMs());
        assertEquals(7_000, deployed.deployment().spec().fuel());
    }

    @Test
    void newFunctionPastMaxFunctionsIsRefusedWhileReplacingOneStillDeploys() {
        Caller caller = core.caller(core.tenant("acme", Map.of(Limit.MAX_FUNCTIONS, 1L)));
        assertInstanceOf(DeployOutcome.Deployed.class, deploys.deploy(caller, HELLO, new Call("hello")));
        log.clear();
        Call second = new Call("hello");

        var refused = assertInstanceOf(DeployOutcome.Refused.class,
                deploys.deploy(caller, FunctionName.of("other"), second));

        assertEquals(new Refusal.FunctionLimitReached(TenantId.of("acme"), 1, 1), refused.refusal());
        assertEquals(List.of(), log);
        var replaced = assertInstanceOf(DeployOutcome.Deployed.class,
                deploys.deploy(caller, HELLO, new Call("hello")));
        assertFalse(replaced.deployment().created());
    }

    @Test
    void keyWithoutTheDeployScopeIsRefusedFirst() {
        IssuedKey invokeOnly = core.tenant("acme", Map.of(), Set.of(Scope.INVOKE));
        Call call = new Call("hello").with("timeout-ms", 999_999);

        var refused = assertInstanceOf(DeployOutcome.Refused.class,
                deploys.deploy(core.caller(invokeOnly), HELLO, call));

        assertEquals(new Refusal.ScopeMissing(invokeOnly.metadata().id(), Scope.DEPLOY), refused.refusal());
    }

    @Test
    void rejectedModuleIsTheRegistrysExceptionAndTheSlotIsClosed() {
        Caller caller = core.caller(core.tenant("acme", Map.of()));
        Call call = new Call("bad-import");

        assertThrows(SchedulerException.ModuleRejected.class, () -> deploys.deploy(caller, HELLO, call));

        assertEquals("close", log.getLast());
        assertTrue(core.scheduler.functions().find(core.uid("acme").value(), HELLO).isEmpty());
    }

    /** Deploy slots that run inline and record what the chain did with them. */
    static final class Slots implements DeploySlots {
        private final List<String> steps;

        Slots(List<String> steps) {
            this.steps = steps;
        }

        @Override
        public Slot admit(TenantId tenant) {
            steps.add("admit " + tenant);
            return new Slot() {
                @Override
                public <T> T run(Supplier<T> deploy) {
                    steps.add("run");
                    return deploy.get();
                }

                @Override
                public void close() {
                    steps.add("close");
                }
            };
        }
    }

    /** A deploy request for a test module, recording which of its parts the chain asked for. */
    final class Call implements DeployCall {
        private final String module;
        private final Map<String, Long> parameters = new HashMap<>();

        Call(String module) {
            this.module = module;
        }

        Call with(String parameter, long value) {
            parameters.put(parameter, value);
            return this;
        }

        @Override
        public OptionalLong parameter(String name) {
            Long value = parameters.get(name);
            return value == null ? OptionalLong.empty() : OptionalLong.of(value);
        }

        @Override
        public void expectModule() {
            log.add("expect-module");
        }

        @Override
        public byte[] module(long maxBytes) {
            log.add("module " + maxBytes);
            return TestModules.load(module);
        }
    }
}
