package dev.sluice.scheduler.fuel;

import static dev.sluice.scheduler.testing.WasmBinary.bytes;
import static dev.sluice.scheduler.testing.WasmBinary.leb;
import static dev.sluice.scheduler.testing.WasmBinary.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.testing.HostileModules;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.scheduler.testing.WasmBinary;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stack budget the instrumenter adds ({@link FuelInstrumenter#STACK_BUDGET_SLOTS}): a frame is charged at entry
 * and given back on every way out, so the budget is whole again after any run that returns; a recursion ends when
 * the frames it holds exceed the budget, however they are shaped (locals or operands), as "call stack exhausted";
 * and none of this changes fuel. Every run happens in Chicory's interpreter and in compiled code.
 */
class StackBudgetTest {
    private static final long FUEL = 1L << 40;

    /** Compiles as the scheduler does: functions with frames too large for the JVM stay interpreted. */
    private static java.util.function.Function<Instance, com.dylibso.chicory.runtime.Machine> compile(
            WasmModule module) {
        return MeteredCompiler.builder(module).compile();
    }

    /** Runs {@code stack-exits} with {@code x}, returning what test.probe saw of the budget, then the budget after. */
    private static List<Long> probes(int x, boolean compiled) {
        var instrumented = FuelInstrumenter.instrument(TestModules.load("stack-exits"));
        WasmModule module = Parser.parse(instrumented.bytes());
        List<Long> seen = new ArrayList<>();
        var probe = new HostFunction("test", "probe", FunctionType.empty(), (instance, args) -> {
            seen.add(instance.exports().global(FuelInstrumenter.STACK_EXPORT_NAME).getValue());
            return null;
        });
        var builder = Instance.builder(module)
                .withGlobalFactory(FuelMeter.create(FUEL, instrumented.definedFuelGlobal()))
                .withImportValues(ImportValues.builder().addFunction(probe).build())
                .withStart(false);
        if (compiled) {
            builder.withMachineFactory(compile(module));
        }
        Instance instance = builder.build();
        assertEquals(x, (int) instance.export("run").apply(x)[0]);
        seen.add(instance.exports().global(FuelInstrumenter.STACK_EXPORT_NAME).getValue());
        return seen;
    }

    @Test
    void everyWayOutOfAFunctionGivesItsFrameBack() {
        for (boolean compiled : new boolean[] {false, true}) {
            for (int x = 0; x <= 3; x++) {
                List<Long> seen = probes(x, compiled);
                String what = (compiled ? "compiled" : "interpreted") + " run(" + x + "): " + seen;
                // run's own probes, before and after each of its 7 calls, are at indices that depend on how often
                // the callees probed; they all equal the first one, which is the budget less run's frame.
                long inRun = seen.get(0);
                assertTrue(inRun < FuelInstrumenter.STACK_BUDGET_SLOTS, what);
                assertEquals(FuelInstrumenter.STACK_BUDGET_SLOTS, seen.get(seen.size() - 1), what);
                long atRunLevel = seen.stream().filter(v -> v == inRun).count();
                assertEquals(8, atRunLevel, what);
                // Every callee's probes see the budget less run's frame and its own, never more: a frame given
                // back at a branch that did not leave would show as inRun.
                for (long v : seen.subList(0, seen.size() - 1)) {
                    assertTrue(v <= inRun, what);
                }
            }
        }
    }

    @Test
    void aBranchThatMightHaveLeftButDidNotChargesTheFrameAgain() {
        for (boolean compiled : new boolean[] {false, true}) {
            // x = 0: br_if falls through (probed before and after), br_table takes the inner block (three probes).
            List<Long> seen = probes(0, compiled);
            // run x2, by_br, run, by_br_if x2, run, by_br_table x3, run, by_tail_call, run x3, then the budget after
            assertEquals(16, seen.size(), seen.toString());
            assertEquals(seen.get(4), seen.get(5), "br_if not taken: " + seen);
            assertEquals(seen.get(7), seen.get(8), "br_table to a block: " + seen);
            assertEquals(seen.get(8), seen.get(9), "after the block: " + seen);
            assertTrue(seen.get(4) < seen.get(3), "the callee is charged: " + seen);
        }
    }

    /** Runs a recursion until it ends; returns how deep it got and what ended it. */
    private static int depthReached(byte[] original, boolean compiled) {
        var instrumented = FuelInstrumenter.instrument(original);
        WasmModule module = Parser.parse(instrumented.bytes());
        var builder = Instance.builder(module)
                .withGlobalFactory(FuelMeter.create(FUEL, instrumented.definedFuelGlobal()))
                .withStart(false);
        if (compiled) {
            builder.withMachineFactory(compile(module));
        }
        Instance instance = builder.build();
        Throwable t = assertThrows(Throwable.class, () -> instance.export("_start").apply());
        assertTrue(t instanceof StackOverflowError
                || (t instanceof ChicoryException && String.valueOf(t.getMessage()).contains("call stack exhausted")),
                "ended by " + t);
        return (int) instance.exports().global("depth").getValue();
    }

    @Test
    void recursionWithFiftyThousandLocalsEndsAfterTheBudgetsWorthOfFrames() {
        for (boolean compiled : new boolean[] {false, true}) {
            int depth = depthReached(HostileModules.recursionCountingDepth(50_000, 0), compiled);
            // 2^20 slots / (50 000 locals + overhead) frames: 20 count their depth, the 21st is refused at its
            // entry. Without the budget the interpreter went ~3 000 frames (2.4 GB of locals) deep.
            assertEquals(FuelInstrumenter.STACK_BUDGET_SLOTS / 50_100, depth, "depth " + depth);
        }
    }

    @Test
    void framesAreChargedForTheOperandsTheyHoldAcrossACall() {
        for (boolean compiled : new boolean[] {false, true}) {
            int depth = depthReached(HostileModules.recursionCountingDepth(0, 20_000), compiled);
            assertTrue(depth <= FuelInstrumenter.STACK_BUDGET_SLOTS / 20_000 + 1, "depth " + depth);
            assertTrue(depth >= FuelInstrumenter.STACK_BUDGET_SLOTS / 20_100, "depth " + depth);
        }
    }

    /** How many instructions of the instrumented module read or write the stack budget. */
    private static long budgetAccesses(byte[] original) {
        WasmModule module = Parser.parse(FuelInstrumenter.instrument(original).bytes());
        int budget = module.exportSection().getExport(module.exportSection().exportCount() - 1).index();
        long accesses = 0;
        for (int f = 0; f < module.codeSection().functionBodyCount(); f++) {
            for (var instruction : module.codeSection().getFunctionBody(f).instructions()) {
                var op = instruction.opcode();
                if ((op == com.dylibso.chicory.wasm.types.OpCode.GLOBAL_GET
                        || op == com.dylibso.chicory.wasm.types.OpCode.GLOBAL_SET)
                        && instruction.operand(0) == budget) {
                    accesses++;
                }
            }
        }
        return accesses;
    }

    @Test
    void framesOfAtMostSixtyFourValuesAreNotCharged() {
        // fib and the other functions of fuel-control, and a recursion holding 60 operands, pay nothing per call;
        // their depth is bounded by the worker's thread stack.
        assertEquals(0, budgetAccesses(TestModules.load("fuel-control")));
        assertEquals(0, budgetAccesses(HostileModules.recursionCountingDepth(0, 60)));
        assertTrue(budgetAccesses(HostileModules.recursionCountingDepth(0, 70)) > 0);
        assertTrue(budgetAccesses(TestModules.load("stack-exits")) > 0);
    }

    @Test
    void functionsWithFramesTooLargeForTheJvmStackAreLeftToTheInterpreter() {
        var small = FuelInstrumenter.instrument(HostileModules.recursionCountingDepth(1_000, 1_000));
        assertEquals(java.util.Set.of(), FuelInstrumenter.interpretedFunctions(Parser.parse(small.bytes())));
        var large = FuelInstrumenter.instrument(HostileModules.recursionCountingDepth(0, 2_048));
        assertEquals(java.util.Set.of(1), FuelInstrumenter.interpretedFunctions(Parser.parse(large.bytes())));
    }

    @Test
    void aModulesOwnListOfFunctionsToInterpretIsDropped() {
        // A custom section under the rewrite's name, claiming that no function needs the interpreter.
        byte[] custom = bytes(0x00, leb(20), name("sluice.interpreted"), leb(0));
        byte[] module = bytes(HostileModules.recursionCountingDepth(0, 2_048), custom);
        var instrumented = FuelInstrumenter.instrument(module);
        assertEquals(java.util.Set.of(1), FuelInstrumenter.interpretedFunctions(Parser.parse(instrumented.bytes())));
    }

    @Test
    void aModuleExportingTheBudgetsNameIsRejected() {
        byte[] body = bytes(leb(0), 0x0b);
        byte[] module = WasmBinary.module()
                .section(WasmBinary.TYPE, bytes(leb(1), 0x60, 0x00, 0x00))
                .section(WasmBinary.FUNCTION, bytes(leb(1), leb(0)))
                .section(WasmBinary.EXPORT, bytes(leb(2), name("_start"), 0x00, leb(0),
                        name(FuelInstrumenter.STACK_EXPORT_NAME), 0x00, leb(0)))
                .section(WasmBinary.CODE, bytes(leb(1), leb(body.length), body))
                .build();
        var e = assertThrows(ModuleRejected.class, () -> FuelInstrumenter.instrument(module));
        assertTrue(e.getMessage().contains(FuelInstrumenter.STACK_EXPORT_NAME), e.getMessage());
    }
}
