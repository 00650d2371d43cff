package dev.sluice.scheduler;

import dev.sluice.scheduler.testing.TestModules;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * CPU time (not wall time) of one {@link Sandbox#run} of a small compiled module on one thread, as a worker runs
 * it: a figure that stays usable on a machine shared with other load, where JMH's wall-clock times are not (issue
 * 12). Prints the median of several batches, in µs of this thread's CPU per call, and the allocation per call.
 *
 * <p>Run with {@code scheduler/bench-cpu [fixture] [calls-per-batch] [batches] [files]}, e.g. {@code hello 20000
 * 15}. {@code files} gives each call files (issue 15): {@code assets} (an /assets of one small file), {@code tmp}
 * (a 1 MiB /tmp) or {@code both}; {@code hello} does not touch them: the figure is what granting them costs. Further
 * arguments are the guest's: {@code files 2000 11 tmp tmp x} measures a call that writes and reads a /tmp file.
 */
public final class SandboxCpuTime {
    private SandboxCpuTime() {}

    private static dev.sluice.scheduler.files.FunctionFiles files(String which) {
        if (which.equals("none")) {
            return dev.sluice.scheduler.files.FunctionFiles.NONE;
        }
        java.util.Optional<java.nio.file.Path> assets = java.util.Optional.empty();
        if (which.equals("assets") || which.equals("both")) {
            try {
                java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("bench-assets");
                java.nio.file.Files.writeString(dir.resolve("index.html"), "<p>hello</p>\n");
                assets = java.util.Optional.of(dir);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        var scratch = which.equals("tmp") || which.equals("both")
                ? new dev.sluice.scheduler.files.ScratchLimits(1 << 20, 64)
                : dev.sluice.scheduler.files.ScratchLimits.NONE;
        return new dev.sluice.scheduler.files.FunctionFiles(assets, scratch);
    }

    public static void main(String[] args) {
        String fixture = args.length > 0 ? args[0] : "hello";
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int batches = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        var sandbox = new Sandbox(SchedulerSettings.defaults());
        ModuleValidator.Checked checked = new ModuleValidator(WasiImports.create()).check(TestModules.load(fixture));
        var module = new CompiledModule("sha256:bench", checked.module(), checked.initialPages(),
                checked.maximumPages(), checked.definedFuelGlobal());
        module.tierUp(ModuleCompiler.chicory().compile(checked.module(), null));
        var function = new FunctionSpec("bench", FunctionName.of(fixture), "sha256:bench", 1, 16, 5_000,
                Instant.EPOCH, 1_000_000_000L);
        String files = args.length > 3 ? args[3] : "none";
        // Any further arguments are the guest's (argv[0] its name), e.g. "files 2000 11 tmp tmp x" for a call that
        // writes and reads a /tmp file: what a call that uses its files costs.
        List<String> guestArgs = args.length > 4
                ? java.util.stream.Stream.concat(java.util.stream.Stream.of(fixture),
                        java.util.Arrays.stream(args, 4, args.length)).toList()
                : List.of();
        var request = new InvocationRequest("body".getBytes(), guestArgs, Map.of("QUERY_STRING", "name=ada"),
                files(files));
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().threadId();
        double[] cpu = new double[batches];
        double[] bytes = new double[batches];
        for (int b = -3; b < batches; b++) { // three batches of warm-up
            long cpu0 = threads.getCurrentThreadCpuTime();
            long alloc0 = threads.getThreadAllocatedBytes(self);
            for (int i = 0; i < calls; i++) {
                sandbox.run(module, function, request);
            }
            if (b >= 0) {
                cpu[b] = (threads.getCurrentThreadCpuTime() - cpu0) / 1e3 / calls;
                bytes[b] = (double) (threads.getThreadAllocatedBytes(self) - alloc0) / calls;
            }
        }
        java.util.Arrays.sort(cpu);
        java.util.Arrays.sort(bytes);
        System.out.printf("%s (files: %s): %.2f µs CPU per Sandbox.run (median of %d batches of %d; min %.2f, max %.2f), "
                + "%.0f bytes allocated per run%n", fixture, files, cpu[batches / 2], batches, calls, cpu[0],
                cpu[batches - 1], bytes[batches / 2]);
    }
}
