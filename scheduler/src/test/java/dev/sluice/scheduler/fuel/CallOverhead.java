package dev.sluice.scheduler.fuel;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import dev.sluice.scheduler.testing.TestModules;

/**
 * What a call costs in instrumented, compiled code: {@code fib(n)} of the {@code fuel-control} fixture (1.3 million
 * calls at n = 30, every frame small enough to go uncharged by the stack budget), best of 30 runs. Not a test: the
 * number depends on the machine. See docs/sandbox.md, "Stack budget".
 */
public final class CallOverhead {
    private CallOverhead() {}

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        var instrumented = FuelInstrumenter.instrument(TestModules.load("fuel-control"));
        var module = Parser.parse(instrumented.bytes());
        var factory = MeteredCompiler.builder(module).compile();
        long best = Long.MAX_VALUE;
        for (int run = 0; run < 30; run++) {
            Instance instance = Instance.builder(module)
                    .withGlobalFactory(FuelMeter.create(1L << 50, instrumented.definedFuelGlobal()))
                    .withMachineFactory(factory).withStart(false).build();
            long started = System.nanoTime();
            instance.export("fib").apply(n);
            best = Math.min(best, System.nanoTime() - started);
        }
        System.out.printf("fib(%d), compiled and instrumented: best of 30 %.2f ms%n", n, best / 1e6);
    }
}
