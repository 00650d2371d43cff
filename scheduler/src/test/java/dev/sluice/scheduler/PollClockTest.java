package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.InvocationFailed.Kind;
import dev.sluice.scheduler.fuel.FuelCosts;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** poll_oneoff's clock subscriptions: what is charged is what can block, whatever the guest puts in a timeout. */
class PollClockTest {
    private static final long TIMEOUT_MS = 10_000;

    @TempDir
    Path dataDir;
    private LocalScheduler scheduler;

    @BeforeEach
    void open() {
        scheduler = LocalScheduler.open(new SchedulerSettings(2, 1, 8, 64 << 10, 4 << 10, 2L << 20), dataDir,
                InstantSource.fixed(Instant.EPOCH));
    }

    @AfterEach
    void close() {
        scheduler.close();
    }

    /**
     * The reviewer's race: an absolute timeout at now + 2^63 + k was free for Sluice's subtraction and ~292 years
     * for Chicory's, a moment later: 100 ms of fuel held the worker until the timeout (3 s then). Now the poll
     * returns at once (the timeout is in the past for the only subtraction made), within what the fuel paid.
     */
    @ParameterizedTest
    @ValueSource(strings = {"poll-abstime-wrap", "poll-abstime-wrap-realtime"})
    void anAbsoluteTimeoutNear2To63BlocksNoLongerThanItsFuelPays(String module) {
        long budget = 100 * FuelCosts.SLEEP_PER_MS; // pays for 100 ms of sleep and the polls' own work
        FunctionSpec spec = deploy(module, budget);
        long started = System.nanoTime();
        try {
            assertEquals(0, invoke(spec).exitCode());
        } catch (InvocationFailed e) {
            assertEquals(Kind.FUEL_EXHAUSTED, e.kind(), e::getMessage);
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertTrue(ms < TIMEOUT_MS / 2, "held the worker " + ms + " ms on fuel paying for 100 ms of sleep");
    }

    @Test
    void clockEventsAreWrittenInWasiLayoutAndAnOverflowingAbsoluteTimeoutIsEinval() {
        FunctionSpec spec = deploy("poll-clock", 1_000 * FuelCosts.SLEEP_PER_MS);
        var result = invoke(spec);
        assertEquals(0, result.exitCode(), "first failed check (see poll-clock.wat)");
        // Up to 20 ms asked for (absolute, so less by the time the poll reads the clock), then 0 (in the past),
        // then the refused poll, then 1 ms with the events over the subscriptions: at most 21 started milliseconds
        // of sleep, plus a few thousand units of work.
        long fuel = result.fuelUsed();
        assertTrue(fuel >= 2 * FuelCosts.SLEEP_PER_MS && fuel < 22 * FuelCosts.SLEEP_PER_MS, "fuel: " + fuel);
    }

    private FunctionSpec deploy(String module, long fuel) {
        return scheduler.functions().deploy(new DeployRequest("tenant", FunctionName.of(module),
                TestModules.load(module), 16, TIMEOUT_MS, 1 << 20, fuel)).spec();
    }

    private InvocationResult invoke(FunctionSpec spec) {
        try {
            return scheduler.dispatcher().invoke(spec, new InvocationRequest(new byte[0], List.of(), Map.of()));
        } catch (InvocationFailed e) {
            if (e.kind() == Kind.FUEL_EXHAUSTED) {
                throw e;
            }
            return fail(e.kind() + ": " + e.getMessage());
        }
    }
}
