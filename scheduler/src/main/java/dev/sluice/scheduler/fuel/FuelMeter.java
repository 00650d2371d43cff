package dev.sluice.scheduler.fuel;

import com.dylibso.chicory.runtime.GlobalFactory;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.function.Supplier;

/**
 * The fuel of one invocation. Installed as the instance's {@link GlobalFactory}, it creates the instrumented
 * module's counter already holding the budget, so even the module's {@code start} function runs metered; it keeps
 * the counter to read after the run however the run ended. It also meters host calls ({@link #meter}).
 *
 * <p>Confined to the thread running the invocation, like the instance.
 */
public final class FuelMeter implements GlobalFactory {
    private final long budget;
    private final int definedFuelGlobal;
    private int created;
    private GlobalInstance counter;

    private FuelMeter(long budget, int definedFuelGlobal) {
        this.budget = budget;
        this.definedFuelGlobal = definedFuelGlobal;
    }

    /**
     * @param budget            fuel the invocation may use, > 0
     * @param definedFuelGlobal {@link FuelInstrumenter.Instrumented#definedFuelGlobal()}
     */
    public static FuelMeter create(long budget, int definedFuelGlobal) {
        if (budget <= 0) {
            throw new IllegalArgumentException("fuel: " + budget + " (expected: > 0)");
        }
        return new FuelMeter(budget, definedFuelGlobal);
    }

    // Chicory creates the module's own globals in index order, once per instance.
    @Override
    public GlobalInstance create(long value, long highValue, ValType type, MutabilityType mutability) {
        if (created++ == definedFuelGlobal) {
            counter = new GlobalInstance(budget, 0, type, mutability);
            return counter;
        }
        return new GlobalInstance(value, highValue, type, mutability);
    }

    public long budget() {
        return budget;
    }

    /** Fuel used so far, at most the budget; 0 before the instance has its globals. */
    public long used() {
        if (counter == null) {
            return 0;
        }
        long left = counter.getValue();
        return left < 0 ? budget : budget - left;
    }

    /** Whether the run needed more than its budget: then it is out of fuel, whatever else happened. */
    public boolean exhausted() {
        return counter != null && counter.getValue() < 0;
    }

    /** Fuel still left to the run; 0 when it is out, the whole budget before the instance has its globals. */
    public long left() {
        if (counter == null) {
            return budget;
        }
        return Math.max(counter.getValue(), 0);
    }

    /** Takes {@code units} from the counter; @throws Exhausted when that overdraws it. */
    public void charge(long units) {
        long value = counter.getValue();
        long left = value - units > value ? Long.MIN_VALUE : value - units; // units >= 0; saturate, never wrap
        counter.setValue(left);
        if (left < 0) {
            throw new Exhausted(budget);
        }
    }

    /** The given host functions, each charging {@link FuelCosts#HOST_CALL} first and transferred bytes after. */
    public HostFunction[] meter(HostFunction[] functions) {
        return meter(functions, () -> this);
    }

    /**
     * As {@link #meter(HostFunction[])}, charging whichever meter {@code current} gives at each call: lets a worker
     * build its metered host functions once and run each invocation against that invocation's meter.
     */
    public static HostFunction[] meter(HostFunction[] functions, Supplier<FuelMeter> current) {
        HostFunction[] metered = new HostFunction[functions.length];
        for (int i = 0; i < functions.length; i++) {
            HostFunction f = functions[i];
            int bytesResult = switch (f.name()) {
                case "fd_write", "fd_read" -> 3; // argument holding the address of the byte count written back
                case "random_get" -> -1; // the length argument is the byte count
                default -> -2;
            };
            metered[i] = new HostFunction(f.module(), f.name(), f.functionType(), (instance, args) -> {
                FuelMeter fuel = current.get();
                fuel.charge(FuelCosts.HOST_CALL);
                long[] result = f.handle().apply(instance, args);
                if (bytesResult != -2 && result != null && result.length > 0 && result[0] == 0) {
                    fuel.charge(FuelCosts.HOST_PER_BYTE * transferred(instance, args, bytesResult));
                }
                return result;
            });
        }
        return metered;
    }

    private static long transferred(Instance instance, long[] args, int bytesResult) {
        if (bytesResult == -1) {
            return args[1] & 0xFFFF_FFFFL;
        }
        return instance.memory().readInt((int) args[bytesResult]) & 0xFFFF_FFFFL;
    }

    /** Thrown by a host call that overdraws the counter; carries no stack trace. */
    public static final class Exhausted extends RuntimeException {
        Exhausted(long budget) {
            super("out of fuel (budget: " + budget + ")", null, false, false);
        }
    }
}
