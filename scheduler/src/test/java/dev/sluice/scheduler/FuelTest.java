package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.InvocationFailed.Kind;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.fuel.FuelCosts;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuel through the real scheduler: exact numbers in results and failures, exhaustion long before the timeout,
 * host-call charging, and the budget's place in the function's stored limits.
 */
class FuelTest {
    private static final long PLENTY = 1_000_000_000;
    private static final long LONG_TIMEOUT_MS = 60_000;

    @TempDir
    Path dataDir;

    private LocalScheduler scheduler;

    private LocalScheduler open() {
        scheduler = LocalScheduler.open(new SchedulerSettings(1, 1, 8, 64 << 10, 4 << 10, 2L << 20), dataDir,
                InstantSource.fixed(Instant.EPOCH));
        return scheduler;
    }

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private FunctionSpec deploy(String fixture, long fuel, long timeoutMs) {
        if (scheduler == null) {
            open();
        }
        return scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of(fixture),
                TestModules.load(fixture), 16, timeoutMs, 1 << 20, fuel)).spec();
    }

    private InvocationResult invoke(String fixture, long fuel) {
        return scheduler().dispatcher().invoke(deploy(fixture, fuel, LONG_TIMEOUT_MS), request());
    }

    private InvocationFailed failure(String fixture, long fuel, long timeoutMs) {
        FunctionSpec spec = deploy(fixture, fuel, timeoutMs);
        return assertThrows(InvocationFailed.class, () -> scheduler.dispatcher().invoke(spec, request()));
    }

    private LocalScheduler scheduler() {
        return scheduler == null ? open() : scheduler;
    }

    private static InvocationRequest request() {
        return new InvocationRequest(new byte[0], List.of(), Map.of());
    }

    @Test
    void resultsReportTheExactFuelOfEachKnownModule() {
        assertEquals(0, invoke("fuel-empty", PLENTY).fuelUsed());
        assertEquals(4, invoke("fuel-straight", PLENTY).fuelUsed());
        assertEquals(102, invoke("fuel-loop", PLENTY).fuelUsed());
        assertEquals(22, invoke("fuel-calls", PLENTY).fuelUsed());
        assertEquals(3107, invoke("fuel-bulk", PLENTY).fuelUsed());
    }

    @Test
    void eachWasiCallIsChargedPerCallAndPerByteWritten() {
        var result = invoke("fuel-write-loop", PLENTY);
        assertEquals("ab\nab\nab\nab\nab\n", new String(result.stdout(), UTF_8));
        long perIteration = 18 + FuelCosts.HOST_CALL + 3 * FuelCosts.HOST_PER_BYTE;
        assertEquals(5 * perIteration, result.fuelUsed());
        assertEquals(605, result.fuelUsed());
    }

    @Test
    void aBudgetOfExactlyTheFuelNeededSucceedsAndOneLessRunsOut() {
        assertEquals(605, invoke("fuel-write-loop", 605).fuelUsed());
        var e = failure("fuel-write-loop", 604, LONG_TIMEOUT_MS);
        assertEquals(Kind.FUEL_EXHAUSTED, e.kind());
        assertEquals(604, e.fuelUsed());

        assertEquals(4, invoke("fuel-straight", 4).fuelUsed());
        var straight = failure("fuel-straight", 3, LONG_TIMEOUT_MS);
        assertEquals(Kind.FUEL_EXHAUSTED, straight.kind());
        assertEquals(3, straight.fuelUsed());
    }

    @Test
    void hostCallThatOverdrawsTheBudgetStopsTheGuest() {
        // Two iterations use 242; the third's block takes 18 more and its fd_write 100 more: over 300.
        var e = failure("fuel-write-loop", 300, LONG_TIMEOUT_MS);
        assertEquals(Kind.FUEL_EXHAUSTED, e.kind());
        assertEquals(300, e.fuelUsed());
    }

    @Test
    void realFixturesUseTheSameFuelOnEveryRun() {
        open();
        for (String fixture : List.of("hello", "plain", "status", "exit-code")) {
            long first = invoke(fixture, PLENTY).fuelUsed();
            long second = invoke(fixture, PLENTY).fuelUsed();
            assertTrue(first > 0, fixture);
            assertEquals(first, second, fixture);
        }
    }

    @Test
    void infiniteLoopRunsOutOfFuelLongBeforeItsTimeout() {
        long started = System.nanoTime();
        var e = failure("infinite-loop", 100_000, LONG_TIMEOUT_MS);
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;

        assertEquals(Kind.FUEL_EXHAUSTED, e.kind(), e.getMessage());
        assertEquals(100_000, e.fuelUsed());
        assertTrue(elapsedMs < 10_000, "took " + elapsedMs + " ms");
    }

    @Test
    void loopInTheModulesStartFunctionRunsOutOfFuelToo() {
        var e = failure("fuel-start-loop", 100_000, LONG_TIMEOUT_MS);
        assertEquals(Kind.FUEL_EXHAUSTED, e.kind(), e.getMessage());
        assertEquals(100_000, e.fuelUsed());
    }

    @Test
    void failuresReportTheFuelUsedBeforeThem() {
        open();
        var trap = failure("trap", PLENTY, LONG_TIMEOUT_MS);
        assertEquals(Kind.TRAP, trap.kind());
        assertEquals(trap.fuelUsed(), failure("trap", PLENTY, LONG_TIMEOUT_MS).fuelUsed());

        var timeout = failure("infinite-loop", Long.MAX_VALUE, 200);
        assertEquals(Kind.TIMEOUT, timeout.kind());
        assertTrue(timeout.fuelUsed() > 0, "fuel used until the interrupt: " + timeout.fuelUsed());

        var sleeping = failure("sleep", PLENTY, 50);
        assertEquals(Kind.TIMEOUT, sleeping.kind());
        assertTrue(sleeping.fuelUsed() >= FuelCosts.HOST_CALL, "poll_oneoff is charged before it waits");

        var exit = invoke("exit-code", PLENTY);
        assertEquals(3, exit.exitCode());
        assertTrue(exit.fuelUsed() > 2 * FuelCosts.HOST_CALL, "fd_write and proc_exit: " + exit.fuelUsed());
    }

    @Test
    void moduleExportingTheCounterNameIsRejectedAtDeploy() {
        var e = assertThrows(ModuleRejected.class, () -> deploy("fuel-reserved-export", PLENTY, 1_000));
        assertEquals(ModuleRejected.Reason.MALFORMED, e.reason());
        assertTrue(e.getMessage().contains("sluice_fuel"), e.getMessage());
        assertTrue(scheduler.functions().list("acme").isEmpty());
    }

    @Test
    void simdModuleIsRejectedAtDeploy() {
        var e = assertThrows(ModuleRejected.class, () -> deploy("fuel-simd", PLENTY, 1_000));
        assertEquals(ModuleRejected.Reason.MALFORMED, e.reason());
        assertTrue(e.getMessage().contains("SIMD"), e.getMessage());
    }

    @Test
    void budgetMustBePositive() {
        var e = assertThrows(SchedulerException.InvalidInput.class, () -> deploy("plain", 0, 1_000));
        assertEquals("fuel: 0 (expected: > 0)", e.getMessage());
    }

    @Test
    void budgetIsStoredAndFunctionsStoredWithoutOneGetTheDefault() throws Exception {
        deploy("plain", 12_345, 1_000);
        scheduler.close();
        assertEquals(12_345, open().functions().find("acme", FunctionName.of("plain")).orElseThrow().fuel());
        scheduler.close();

        Path index = dataDir.resolve("functions.json");
        String stored = Files.readString(index);
        assertTrue(stored.contains("\"fuel\" : 12345"), stored);
        Files.writeString(index, stored.replaceAll(",\\s*\"fuel\" : 12345", ""));
        FunctionSpec old = open().functions().find("acme", FunctionName.of("plain")).orElseThrow();
        assertEquals(FunctionSpec.DEFAULT_FUEL, old.fuel());
        assertFalse(Files.readString(index).contains("fuel"));
        assertEquals("just text\n", new String(scheduler.dispatcher().invoke(old, request()).stdout(), UTF_8));
    }
}
