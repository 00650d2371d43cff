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
    void aTrapAfterALoopReportsExactlyWhatWasUsed() {
        // trap_after_loop(n) uses 9n + 7 before its division by zero (fuel-cached.wat). Since version 5 every
        // function charges the global, and compiled code keeps it in a JVM local that the function's exception
        // handler stores: both engines report it all (version 4 reported what a local copy had stored last).
        for (int n : new int[] {0, 10, 7_000, 100_000}) {
            for (boolean compiled : new boolean[] {false, true}) {
                var instrumented = FuelInstrumenter.instrument(TestModules.load("fuel-cached"));
                WasmModule module = Parser.parse(instrumented.bytes());
                var meter = FuelMeter.create(BUDGET, instrumented.definedFuelGlobal());
                var builder = Instance.builder(module).withGlobalFactory(meter).withStart(false);
                if (compiled) {
                    builder.withMachineFactory(MeteredCompiler.builder(module).compile());
                }
                Instance instance = builder.build();
                assertThrows(WasmRuntimeException.class, () -> instance.export("trap_after_loop").apply(n));
                assertEquals(9L * n + 7, meter.used(), "trap_after_loop(" + n + ") compiled " + compiled);
            }
        }
    }

    @Test
    void compiledMeteredCodeNeverGoesThroughTheInstanceForTheCounter() {
        // The point of the compiler's register global: no global.get/set of the counter compiles to
        // Instance.global(idx) (Shaded.readGlobal/writeGlobal); only a call from the host fetches it, once.
        for (String fixture : List.of("fuel-loop", "fuel-calls", "fuel-control", "fuel-cached")) {
            var instrumented = FuelInstrumenter.instrument(TestModules.load(fixture));
            WasmModule module = Parser.parse(instrumented.bytes());
            var compiler = com.dylibso.chicory.compiler.internal.Compiler.builder(module)
                    .withRegisterGlobal(instrumented.fuelGlobal()).build();
            var classes = ((com.dylibso.chicory.compiler.internal.ClassLoadingCollector) compiler.compile()
                    .collector()).classBytes();
            int groups = 0;
            for (var entry : classes.entrySet()) {
                if (entry.getKey().contains("FuncGroup")) {
                    groups++;
                    String constants = new String(entry.getValue(), java.nio.charset.StandardCharsets.ISO_8859_1);
                    assertTrue(!constants.contains("readGlobal") && !constants.contains("writeGlobal"),
                            fixture + ": " + entry.getKey() + " reads or writes a global through the instance");
                }
            }
            assertTrue(groups > 0, fixture + ": no compiled functions found");
        }
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
