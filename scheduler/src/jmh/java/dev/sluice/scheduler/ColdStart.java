package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Cold-start figures, through the real {@link LocalScheduler} with default settings (2 s compile budget):
 *
 * <ul>
 *   <li>{@code deploy DIR}: deploys the small {@code hello} fixture and a generated module of about 2 MB
 *       ({@link BigModule}) into an empty data directory and prints, for each, how long the deploy took and
 *       whether it came back compiled, the first invocation's latency (deploy-to-first-response is their sum),
 *       when the background compile finished, and an invocation once compiled;</li>
 *   <li>{@code restart DIR} (a fresh JVM on the directory {@code deploy} left): how long
 *       {@link LocalScheduler#open} took (the index only), the first invocation of each module (which loads it from
 *       the instrumented cache), how many modules were compiled versus loaded, and what validating again would
 *       cost.</li>
 * </ul>
 *
 * Run both with {@code scheduler/coldstart}.
 */
public final class ColdStart {
    static final int BIG_FUNCTIONS = 6_500;

    private ColdStart() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !List.of("deploy", "restart").contains(args[0])) {
            System.err.println("usage: ColdStart deploy|restart DATA_DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[1]);
        // Show the scheduler's DEBUG lines: how long each module took to compile or to load from the cache.
        var logger = java.util.logging.Logger.getLogger("dev.sluice.scheduler");
        logger.setLevel(java.util.logging.Level.FINE);
        var handler = new java.util.logging.ConsoleHandler();
        handler.setLevel(java.util.logging.Level.FINE);
        handler.setFormatter(new java.util.logging.SimpleFormatter() {
            @Override
            public String format(java.util.logging.LogRecord r) {
                return "  [log] " + r.getMessage() + System.lineSeparator();
            }
        });
        logger.addHandler(handler);
        logger.setUseParentHandlers(false);
        if (args[0].equals("deploy")) {
            deploy(dir);
        } else {
            restart(dir);
        }
    }

    private static void deploy(Path dir) throws Exception {
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        try (var scheduler = LocalScheduler.open(SchedulerSettings.defaults(), dir, InstantSource.system())) {
            System.out.printf("open (empty data dir, fresh JVM): %.1f ms%n", ms(System.nanoTime() - t0));
            deployAndInvoke(scheduler, "hello", TestModules.load("hello"));
            deployAndInvoke(scheduler, "hello-again", TestModules.load("echo"));
            byte[] big = BigModule.generate(BIG_FUNCTIONS);
            deployAndInvoke(scheduler, "big", big);
        }
    }

    private static void deployAndInvoke(LocalScheduler scheduler, String name, byte[] bytes) throws Exception {
        long t0 = System.nanoTime();
        FunctionRegistry.Deployment deployment = scheduler.functions().deploy(new DeployRequest("bench",
                FunctionName.of(name), bytes, 256, 600_000, 64 << 20, FunctionSpec.DEFAULT_FUEL));
        long deployed = System.nanoTime();
        InvocationResult first = invoke(scheduler, deployment.spec());
        long answered = System.nanoTime();
        CompiledModule module = scheduler.modules().find(deployment.spec().digest()).orElseThrow();
        boolean compiled = module.compiled().get(10, TimeUnit.MINUTES);
        long tiered = System.nanoTime();
        long warm = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            long s = System.nanoTime();
            invoke(scheduler, deployment.spec());
            warm = Math.min(warm, System.nanoTime() - s);
        }
        System.out.printf("%-12s %8d bytes: deploy %8.1f ms (compiled: %-5s) + first invocation %8.1f ms "
                        + "= deploy-to-first-response %8.1f ms; compile done %8.1f ms after deploy started "
                        + "(compiled: %s); best of 20 invocations once compiled %6.2f ms; fuel %d%n",
                name, bytes.length, ms(deployed - t0), deployment.compiled(), ms(answered - deployed),
                ms(answered - t0), ms(tiered - t0), compiled, ms(warm), first.fuelUsed());
    }

    private static void restart(Path dir) throws Exception {
        long t0 = System.nanoTime();
        try (var scheduler = LocalScheduler.open(SchedulerSettings.defaults(), dir, InstantSource.system())) {
            long opened = System.nanoTime();
            System.out.printf("restart: open %.1f ms (reads the index only; modules load at their first call)%n",
                    ms(opened - t0));
            for (String name : List.of("hello", "hello-again", "big")) {
                FunctionSpec spec = scheduler.functions().find("bench", FunctionName.of(name)).orElseThrow();
                long s = System.nanoTime();
                invoke(scheduler, spec);
                long first = System.nanoTime() - s;
                CompiledModule module = scheduler.modules().find(spec.digest()).orElseThrow();
                boolean compiled = module.compiled().get(10, TimeUnit.MINUTES);
                System.out.printf("restart: first invocation of %-12s %8.1f ms (loading its module included; "
                        + "compiled classes ready %.1f ms after the call started: %s)%n", name, ms(first),
                        ms(System.nanoTime() - s), compiled);
            }
            var registry = (DiskFunctionRegistry) scheduler.functions();
            System.out.printf("restart: modules parsed from the instrumented cache %d, validated again %d; "
                    + "compiled %d, loaded from the compiled cache %d%n", registry.cacheLoads(),
                    registry.validations(), scheduler.modules().compiles(), scheduler.modules().disk().hits());
            long v0 = System.nanoTime();
            var validator = new ModuleValidator(WasiImports.create());
            for (String name : List.of("hello", "hello-again", "big")) {
                FunctionSpec spec = scheduler.functions().find("bench", FunctionName.of(name)).orElseThrow();
                validator.check(new FunctionStore(dir).readModule(spec.digest()));
            }
            System.out.printf("restart: for comparison, validating and instrumenting the three modules again "
                    + "(what a cache miss costs, JVM warmer): %.1f ms%n", ms(System.nanoTime() - v0));
        }
    }

    private static InvocationResult invoke(LocalScheduler scheduler, FunctionSpec spec) {
        InvocationResult result = scheduler.dispatcher().invoke(spec, new InvocationRequest("body".getBytes(UTF_8),
                List.of(), Map.of("QUERY_STRING", "name=ada")));
        if (result.exitCode() != 0) {
            throw new IllegalStateException(spec.name() + " exited with " + result.exitCode());
        }
        return result;
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
