package dev.sluice.scheduler;

import com.dylibso.chicory.log.SystemLogger;
import com.dylibso.chicory.runtime.Instance;
import dev.sluice.scheduler.fuel.FuelMeter;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.scheduler.wasi.WasiHost;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The fixed cost of one invocation of a small, compiled module, and its parts: {@code sandboxRun} is everything
 * a worker does ({@link Sandbox#run}: WASI, fuel meter, memory, instance, {@code _start}, result); the others
 * isolate the WASI setup and the instance build (the module's own code is trivial: {@code fuel-empty} does
 * nothing, {@code hello} writes 40 bytes).
 *
 * <p>Run with {@code scheduler/bench Instantiate}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class InstantiateBenchmark {
    @Param({"hello", "fuel-empty"})
    public String fixture;

    private Sandbox sandbox;
    private CompiledModule module;
    private FunctionSpec function;
    private InvocationRequest request;
    private WasiHost host;

    @Setup(Level.Trial)
    public void setUp() {
        sandbox = new Sandbox(SchedulerSettings.defaults());
        ModuleValidator.Checked checked = new ModuleValidator(WasiImports.create()).check(TestModules.load(fixture));
        module = new CompiledModule("sha256:bench", checked.module(), checked.initialPages(), checked.maximumPages(),
                checked.definedFuelGlobal());
        module.tierUp(ModuleCompiler.chicory().compile(checked.module(), null));
        function = new FunctionSpec("bench", FunctionName.of(fixture), "sha256:bench", 1, 16, 5_000, Instant.EPOCH,
                1_000_000_000L);
        host = WasiHost.create(new SystemLogger(), Clock.systemUTC(), new SecureRandom(), System::nanoTime);
        request = new InvocationRequest("body".getBytes(), List.of(), Map.of("QUERY_STRING", "name=ada"));
    }

    @Benchmark
    public InvocationResult sandboxRun() {
        return sandbox.run(module, function, request);
    }

    /**
     * The per-call part of the WASI set-up as {@link Sandbox#run} does it: a fuel meter and the worker's
     * {@link WasiHost} pointed at the invocation and released (issue 12: the host functions are built once per
     * worker; before, this built Chicory's WASI and wrapped its functions on every call).
     */
    @Benchmark
    public Object wasiSetup() {
        var fuel = FuelMeter.create(function.fuel(), module.definedFuelGlobal());
        host.begin(request.stdin(), new BoundedOutput("stdout", 1 << 20), new BoundedOutput("stderr", 1 << 16),
                request.args(), request.env(), fuel);
        host.end();
        return host.imports();
    }

    /** The instance alone (memory, globals, machine), with the worker's WASI, without running {@code _start}. */
    @Benchmark
    public Instance instanceBuild() {
        var fuel = FuelMeter.create(function.fuel(), module.definedFuelGlobal());
        var memory = new MemoryCap(function.memoryPages());
        return Instance.builder(module.module())
                .withMachineFactory(module.machineFactory())
                .withImportValues(host.imports())
                .withMemoryFactory(memory::create)
                .withGlobalFactory(fuel)
                .withStart(false)
                .build();
    }
}
