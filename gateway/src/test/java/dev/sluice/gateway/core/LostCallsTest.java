package dev.sluice.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.tenancy.usage.DailyUsage;
import dev.sluice.tenancy.plan.Limit;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A call lost with its worker (it was handed over, then the worker died) may have run: usage counts it as a failed
 * invocation, and the tenant is charged no fuel for it (its fuel is unknown, the loss is the provider's).
 */
class LostCallsTest extends CoreTest {
    private static final FunctionName HELLO = FunctionName.of("hello");

    @Test
    void aCallLostWithItsWorkerIsCountedAsAFailedInvocationWithoutFuel() {
        Caller caller = core.caller(core.tenant("acme", Map.of(Limit.FUEL_PER_DAY, 10_000_000L,
                Limit.MAX_CONCURRENCY, 1L)));
        core.deploy("acme", "hello", "hello", 1_000_000);
        SchedulerException.WorkerLost lost = new SchedulerException.WorkerLost("worker w1 went away", null);
        // The guest really runs, then its answer is lost: what a worker killed after the call started looks like.
        Invocations losing = core.invocations(new InFlight() {
            @Override
            public <T> T run(Supplier<T> work) {
                work.get();
                throw lost;
            }
        });

        assertSame(lost, assertThrows(SchedulerException.WorkerLost.class,
                () -> losing.invoke(caller, HELLO, new CoreFixture.Call())));

        DailyUsage today = core.quotas.usage().daily(core.uid("acme"), 1).getFirst();
        assertEquals(List.of(1L, 1L, 0L), List.of(today.invocations(), today.errors(), today.fuel()),
                "one invocation, failed, no fuel");
        assertEquals(10_000_000L - 1, core.quotas.fuel().reserve(core.uid("acme"), 10_000_000L, 1).remaining(),
                "the whole reservation was refunded");
        assertInstanceOf(InvocationOutcome.Completed.class,
                core.invocations(InFlight.uncounted()).invoke(caller, HELLO, new CoreFixture.Call()),
                "the slot is free again");
    }
}
