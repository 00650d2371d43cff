package dev.sluice.scheduler.fuel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import dev.sluice.scheduler.testing.TestModules;
import org.junit.jupiter.api.Test;

/**
 * Large frames cost fuel at entry ({@link FuelCosts#frameCost}), exactly as {@code fuel-frame.wat} sums it, in the
 * interpreter and compiled alike; frames of at most 64 parameters and locals (every other fixture) cost nothing.
 */
class FrameCostTest {
    private static long fuel(String export, boolean compiled) {
        var instrumented = FuelInstrumenter.instrument(TestModules.load("fuel-frame"));
        var module = Parser.parse(instrumented.bytes());
        var meter = FuelMeter.create(1_000_000, instrumented.definedFuelGlobal());
        var builder = Instance.builder(module).withGlobalFactory(meter).withStart(false);
        if (compiled) {
            builder.withMachineFactory(MeteredCompiler.builder(module).compile());
        }
        assertEquals(export.equals("twice") ? 6 : 5, builder.build().export(export).apply(4)[0],
                export + " computes what it computed");
        return meter.used();
    }

    @Test
    void framesBeyond64SlotsCostOneUnitPerFourSlotsAtEntry() {
        for (boolean compiled : new boolean[] {false, true}) {
            assertEquals(3, fuel("small", compiled), "small, compiled " + compiled);
            assertEquals(4, fuel("odd", compiled), "odd, compiled " + compiled);
            assertEquals(253, fuel("big", compiled), "big, compiled " + compiled);
            assertEquals(517, fuel("twice", compiled), "twice, compiled " + compiled);
        }
    }

    @Test
    void frameCostRule() {
        assertEquals(0, FuelCosts.frameCost(0));
        assertEquals(0, FuelCosts.frameCost(67));
        assertEquals(1, FuelCosts.frameCost(68));
        assertEquals(12_481, FuelCosts.frameCost(49_991));
    }
}
