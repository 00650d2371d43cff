package dev.sluice.scheduler.fuel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.testing.TestModules;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exact fuel of the {@code fuel-*} fixtures, computed by hand from {@link FuelCosts} (each .wat shows the sum),
 * and proof that instrumented code computes what the original computes. Every run happens twice over: in
 * Chicory's interpreter and in compiled code, which must agree to the unit.
 */
class FuelInstrumenterTest {
    private static final long BUDGET = 1_000_000_000;
    private static final List<String> CONTROL_EXPORTS = List.of("classify", "nested", "multi", "dead", "bulk", "fib");

    /** One metered run of an export: its results, the fuel it used, and the instance it ran in. */
    private record Run(long[] results, long fuel, boolean exhausted, Instance instance) {}

    private static Run run(String fixture, String export, boolean compiled, long budget, long... args) {
        var instrumented = FuelInstrumenter.instrument(TestModules.load(fixture));
        WasmModule module = Parser.parse(instrumented.bytes());
        var meter = FuelMeter.create(budget, instrumented.definedFuelGlobal());
        var builder = Instance.builder(module).withGlobalFactory(meter).withStart(false);
        if (compiled) {
            builder.withMachineFactory(MeteredCompiler.builder(module).compile());
        }
        Instance instance = builder.build();
        long[] results = instance.export(export).apply(args);
        return new Run(results, meter.used(), meter.exhausted(), instance);
    }

    private static long fuel(String fixture, String export, long... args) {
        long interpreted = run(fixture, export, false, BUDGET, args).fuel();
        long compiled = run(fixture, export, true, BUDGET, args).fuel();
        assertEquals(interpreted, compiled, "interpreter and compiled code disagree on " + fixture + " " + export);
        return compiled;
    }

    private static long[] uninstrumented(String fixture, String export, long... args) {
        WasmModule module = Parser.parse(TestModules.load(fixture));
        return Instance.builder(module).withStart(false).build().export(export).apply(args);
    }

    @Test
    void emptyStartUsesNoFuel() {
        assertEquals(0, fuel("fuel-empty", "_start"));
    }

    @Test
    void straightLineCodeCostsOneUnitPerInstruction() {
        assertEquals(4, fuel("fuel-straight", "_start"));
    }

    @Test
    void countedLoopCostsNinePerIterationPlusFive() {
        for (int n : new int[] {0, 1, 2, 10, 1000, 100_000}) {
            assertEquals(9L * n + 5, fuel("fuel-loop", "count", n), "count(" + n + ")");
        }
    }

    @Test
    void callingTheLoopFromStartAddsTheCallAndItsArguments() {
        assertEquals(102, fuel("fuel-loop", "_start"));
    }

    @Test
    void directAndIndirectCallsCostFiveEachPlusTheCallee() {
        assertEquals(22, fuel("fuel-calls", "_start"));
    }

    @Test
    void memoryGrowCostsPerPageAndMemoryFillPerByte() {
        assertEquals(3107, fuel("fuel-bulk", "_start"));
        Run run = run("fuel-bulk", "_start", true, BUDGET);
        assertEquals(4, run.instance().memory().pages());
        assertEquals(42, run.instance().memory().read(99));
        assertEquals(0, run.instance().memory().read(100));
    }

    @Test
    void theSameRunTwiceUsesTheSameFuel() {
        for (String export : CONTROL_EXPORTS) {
            for (boolean compiled : new boolean[] {false, true}) {
                assertEquals(run("fuel-control", export, compiled, BUDGET, 17).fuel(),
                        run("fuel-control", export, compiled, BUDGET, 17).fuel(), export);
            }
        }
    }

    @Test
    void instrumentedCodeComputesWhatTheOriginalComputesThroughEveryKindOfBranch() {
        for (String export : CONTROL_EXPORTS) {
            for (int x = 0; x <= 24; x++) {
                long[] expected = uninstrumented("fuel-control", export, x);
                String what = export + "(" + x + ")";
                Run interpreted = run("fuel-control", export, false, BUDGET, x);
                Run compiled = run("fuel-control", export, true, BUDGET, x);
                assertArrayEquals(expected, interpreted.results(), what + " interpreted");
                assertArrayEquals(expected, compiled.results(), what + " compiled");
                assertEquals(interpreted.fuel(), compiled.fuel(), what + " fuel");
                assertTrue(compiled.fuel() > 0, what);
            }
        }
    }

    @Test
    void branchesThatSkipCodeAreNotChargedForIt() {
        // classify(0) leaves the innermost block for "return 10"; classify(3) falls through to "i32.const 40":
        // local.get + br_table = 2, then i32.const + return = 2, or i32.const alone = 1.
        assertEquals(4, fuel("fuel-control", "classify", 0));
        assertEquals(3, fuel("fuel-control", "classify", 3));
        assertEquals(3, fuel("fuel-control", "classify", 99));
    }

    @Test
    void theCounterIsExportedAndCountsDownFromTheBudget() {
        Run run = run("fuel-straight", "_start", true, 1_000);
        assertEquals(996, run.instance().exports().global(FuelInstrumenter.EXPORT_NAME).getValue());
    }

    @Test
    void infiniteLoopRunsOutOfFuelAtItsBudgetInBothEngines() {
        for (boolean compiled : new boolean[] {false, true}) {
            var instrumented = FuelInstrumenter.instrument(TestModules.load("infinite-loop"));
            WasmModule module = Parser.parse(instrumented.bytes());
            var meter = FuelMeter.create(10_000, instrumented.definedFuelGlobal());
            var builder = Instance.builder(module).withGlobalFactory(meter).withStart(false);
            if (compiled) {
                builder.withMachineFactory(MeteredCompiler.builder(module).compile());
            }
            Instance instance = builder.build();
            assertThrows(TrapException.class, () -> instance.export("_start").apply());
            assertTrue(meter.exhausted());
            assertEquals(10_000, meter.used());
            // One unit (the br) per iteration, checked at the loop header: it stops at the first overdraft.
            assertEquals(-1, instance.exports().global(FuelInstrumenter.EXPORT_NAME).getValue());
        }
    }

    @Test
    void aBudgetOfExactlyWhatTheRunNeedsIsEnoughAndOneLessIsNot() {
        Run enough = run("fuel-loop", "_start", true, 102);
        assertEquals(102, enough.fuel());
        assertTrue(!enough.exhausted());
        // The last block overdraws the counter after the last check (there is no loop or call after it), so the
        // guest finishes, but the run is out of fuel all the same: the sandbox reports FUEL_EXHAUSTED.
        Run oneShort = run("fuel-loop", "_start", true, 101);
        assertTrue(oneShort.exhausted());
        assertEquals(101, oneShort.fuel());
        // With a smaller budget the check at a loop header or function entry traps.
        assertThrows(TrapException.class, () -> run("fuel-loop", "_start", true, 50));
    }

    @Test
    void functionsWithLoopsChargeTheSameThroughCallsWaysOutAndDynamicCosts() {
        for (int n : new int[] {1, 2, 10, 1000}) {
            assertEquals(17L * n - 2, fuel("fuel-cached", "calls_in_loop", n), "calls_in_loop(" + n + ")");
            assertArrayEquals(new long[] {n}, run("fuel-cached", "calls_in_loop", true, BUDGET, n).results());
        }
        for (int n : new int[] {0, 1, 4, 5, 1000, 1001}) {
            int i = Math.max(n, 1);
            assertEquals(8L * i + (i % 2 == 0 ? 7 : 5), fuel("fuel-cached", "table_in_loop", n), "table_in_loop(" + n + ")");
            assertArrayEquals(new long[] {i % 2 == 0 ? i + 100 : i},
                    run("fuel-cached", "table_in_loop", true, BUDGET, n).results());
        }
        for (int n : new int[] {0, 1, 10, 300}) {
            assertEquals(13L * n + 4 + (long) n * (n - 1) / 2, fuel("fuel-cached", "fill_in_loop", n),
                    "fill_in_loop(" + n + ")");
        }
    }

    @Test
    void aBudgetOneShortRunsOutInsideTheLoopOfAFunctionWithACopyOfTheCounter() {
        for (boolean compiled : new boolean[] {false, true}) {
            Run enough = run("fuel-cached", "calls_in_loop", compiled, 168, 10);
            assertEquals(168, enough.fuel());
            assertTrue(!enough.exhausted());
            for (long budget : new long[] {167, 100, 16, 1}) {
                var instrumented = FuelInstrumenter.instrument(TestModules.load("fuel-cached"));
                WasmModule module = Parser.parse(instrumented.bytes());
                var meter = FuelMeter.create(budget, instrumented.definedFuelGlobal());
                var builder = Instance.builder(module).withGlobalFactory(meter).withStart(false);
                if (compiled) {
                    builder.withMachineFactory(MeteredCompiler.builder(module).compile());
                }
                Instance instance = builder.build();
                assertThrows(TrapException.class, () -> instance.export("calls_in_loop").apply(10));
                assertTrue(meter.exhausted(), "budget " + budget);
                assertEquals(budget, meter.used());
            }
        }
    }

    @Test
    void aTrapInAFunctionWithLoopsReportsTheFuelItStoredLast() {
        // trap_after_loop(n) uses 9n + 7 before its division by zero, but keeps the counter in a local that it
        // stores to the global at its first loop header (4 used) and then whenever 65 536 more are used since the
        // last store: the blocks run since then are not reported. Deterministic, and the same in both engines.
        long interval = 65_536;
        for (int n : new int[] {0, 10, 7_000, 100_000}) {
            long[] reported = new long[2];
            for (int engine = 0; engine < 2; engine++) {
                var instrumented = FuelInstrumenter.instrument(TestModules.load("fuel-cached"));
                WasmModule module = Parser.parse(instrumented.bytes());
                var meter = FuelMeter.create(BUDGET, instrumented.definedFuelGlobal());
                var builder = Instance.builder(module).withGlobalFactory(meter).withStart(false);
                if (engine == 1) {
                    builder.withMachineFactory(MeteredCompiler.builder(module).compile());
                }
                Instance instance = builder.build();
                assertThrows(WasmRuntimeException.class, () -> instance.export("trap_after_loop").apply(n));
                reported[engine] = meter.used();
            }
            assertEquals(reported[0], reported[1], "trap_after_loop(" + n + ")");
            long used = 9L * n + 7;
            if (used - 4 <= interval) {
                assertEquals(4, reported[1], "trap_after_loop(" + n + ")");
            }
            assertTrue(reported[1] <= used && used - reported[1] < interval + 9 + 3,
                    "trap_after_loop(" + n + "): " + reported[1] + " of " + used);
        }
    }

    @Test
    void theLoopOfAFunctionWithLoopsDoesNotReadTheGlobal() {
        // The point of the local copy: inside a loop without calls, only a rarely taken branch touches the global.
        var instrumented = FuelInstrumenter.instrument(TestModules.load("fuel-loop"));
        WasmModule module = Parser.parse(instrumented.bytes());
        var body = module.codeSection().getFunctionBody(0).instructions();
        int depthInLoop = -1;
        int depth = 0;
        int globalAccesses = 0;
        for (var instruction : body) {
            switch (instruction.opcode()) {
                case LOOP -> {
                    depth++;
                    if (depthInLoop < 0) {
                        depthInLoop = depth;
                    }
                }
                case BLOCK, IF -> depth++;
                case END -> {
                    if (depth == depthInLoop) {
                        depthInLoop = -2; // past the loop
                    }
                    depth--;
                }
                case GLOBAL_GET, GLOBAL_SET -> {
                    if (depthInLoop > 0 && depth == depthInLoop) {
                        globalAccesses++;
                    }
                }
                default -> { }
            }
        }
        assertTrue(depthInLoop == -2, "the loop was found");
        assertEquals(0, globalAccesses, "global.get or global.set outside the slow path");
    }

    @Test
    void existingGlobalsAndFunctionsKeepTheirIndices() {
        var instrumented = FuelInstrumenter.instrument(TestModules.load("hello"));
        assertEquals(0, instrumented.fuelGlobal());
        WasmModule module = Parser.parse(instrumented.bytes());
        WasmModule original = Parser.parse(TestModules.load("hello"));
        // One function appended last (it ends a call stack over budget), two exports (fuel and stack budget).
        assertEquals(original.functionSection().functionCount() + 1, module.functionSection().functionCount());
        assertEquals(original.exportSection().exportCount() + 2, module.exportSection().exportCount());
    }

    @Test
    void moduleThatAlreadyExportsTheCounterNameIsRejected() {
        var e = assertThrows(ModuleRejected.class,
                () -> FuelInstrumenter.instrument(TestModules.load("fuel-reserved-export")));
        assertSame(ModuleRejected.Reason.MALFORMED, e.reason());
        assertTrue(e.getMessage().contains("sluice_fuel"), e.getMessage());
    }

    @Test
    void simdIsRejectedNamingTheInstruction() {
        var e = assertThrows(ModuleRejected.class, () -> FuelInstrumenter.instrument(TestModules.load("fuel-simd")));
        assertSame(ModuleRejected.Reason.MALFORMED, e.reason());
        assertTrue(e.getMessage().contains("unsupported instruction 0xfd (SIMD)"), e.getMessage());
    }

    @Test
    void everyExistingFixtureStillValidatesAfterInstrumentation() {
        for (String fixture : List.of("hello", "echo", "env", "exit-code", "plain", "status", "trap", "div-zero",
                "out-of-bounds", "deep-recursion", "huge-output", "stderr-flood", "infinite-loop", "memory-bomb",
                "sleep", "huge-memory", "no-start")) {
            byte[] original = TestModules.load(fixture);
            var instrumented = FuelInstrumenter.instrument(original);
            Parser.parse(instrumented.bytes()); // throws when the rewrite produced an invalid module
            assertTrue(instrumented.bytes().length > original.length, fixture);
        }
    }

    @Test
    void budgetMustBePositive() {
        var e = assertThrows(IllegalArgumentException.class, () -> FuelMeter.create(0, 0));
        assertEquals("fuel: 0 (expected: > 0)", e.getMessage());
    }
}
