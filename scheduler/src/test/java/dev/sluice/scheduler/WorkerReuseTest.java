package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.scheduler.testing.WasiCallModules;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A worker keeps its WASI functions from one invocation to the next (issue 12): these run invocations one after
 * another on one thread, as a worker does, and prove that nothing of one reaches the next: not its arguments,
 * environment or stdin, not what it did to Chicory's descriptor table, and not its memory (the guard for any
 * future reuse of memory between invocations).
 */
class WorkerReuseTest {
    private static final int EBADF = 8;
    private static final long FUEL = 1L << 40;

    private final Sandbox sandbox = new Sandbox(SchedulerSettings.defaults());

    @Test
    void eachInvocationSeesOnlyItsOwnArgumentsAndEnvironment() {
        CompiledModule env = module(TestModules.load("env"));
        var first = new InvocationRequest(new byte[0], List.of("first"),
                Map.of("SECRET", "tenant-a", "QUERY_STRING", "a=1"));
        var second = new InvocationRequest(new byte[0], List.of("second"), Map.of("QUERY_STRING", "b=2"));
        var third = new InvocationRequest(new byte[0], List.of("third"), Map.of());
        for (var request : List.of(first, second, third, first)) {
            assertEquals(shown(request), stdout(env, request));
        }
    }

    /** What the env fixture prints for a request: its environment in the order it holds it, then argv[0]. */
    private static String shown(InvocationRequest request) {
        var out = new StringBuilder("Content-Type: text/plain\n\n");
        request.env().forEach((name, value) -> out.append(name).append('=').append(value).append('\n'));
        return out.append("argv0=").append(request.args().get(0)).append('\n').toString();
    }

    @Test
    void eachInvocationReadsOnlyItsOwnStdin() {
        CompiledModule echo = module(TestModules.load("echo"));
        assertEquals("Content-Type: application/octet-stream\n\nfirst body",
                stdout(echo, new InvocationRequest("first body".getBytes(UTF_8), List.of(), Map.of())));
        assertEquals("Content-Type: application/octet-stream\n\n",
                stdout(echo, new InvocationRequest(new byte[0], List.of(), Map.of())));
    }

    @Test
    void descriptorsAGuestClosedOrMovedAreBackForTheNextInvocation() {
        byte[] closeStdoutThenStat = WasiCallModules.calling("fd_close", WasiParams.of("fd_close"), new long[] {1},
                "fd_fdstat_get", WasiParams.of("fd_fdstat_get"), true, new long[] {1, 512}, Map.of(), 1, 1);
        assertEquals(EBADF, exitCode(module(closeStdoutThenStat)), "stdout closed within the invocation");
        byte[] stat = WasiCallModules.calling("fd_fdstat_get", WasiParams.of("fd_fdstat_get"), true, new long[] {1, 512},
                Map.of(), 1, 1);
        assertEquals(0, exitCode(module(stat)), "Chicory's stdout is open again for the next invocation");

        byte[] moveStdinOntoFd2 = WasiCallModules.calling("fd_renumber", WasiParams.of("fd_renumber"), new long[] {0, 2},
                "fd_fdstat_get", WasiParams.of("fd_fdstat_get"), true, new long[] {0, 512}, Map.of(), 1, 1);
        assertEquals(EBADF, exitCode(module(moveStdinOntoFd2)), "stdin moved away within the invocation");
        byte[] statStdin = WasiCallModules.calling("fd_fdstat_get", WasiParams.of("fd_fdstat_get"), true,
                new long[] {0, 512}, Map.of(), 1, 1);
        assertEquals(0, exitCode(module(statStdin)));
        CompiledModule hello = module(TestModules.load("hello"));
        assertEquals("Content-Type: text/plain\n\nhello q\nafter", stdout(hello,
                new InvocationRequest("after".getBytes(UTF_8), List.of("hello"), Map.of("QUERY_STRING", "q"))));
    }

    @Test
    void noInvocationSeesMemoryAnEarlierOneWroteWhateverTheTenant() {
        // "fixed" leaves its memory at its initial size, so the worker hands that memory to the next run; the other
        // grows it, so the next run needs a fresh one. Both overwrite all their memory before they end.
        CompiledModule fixed = module(TestModules.load("memory-residue-fixed"));
        CompiledModule growing = module(TestModules.load("memory-residue"));
        var request = new InvocationRequest(new byte[0], List.of(), Map.of());
        for (int i = 0; i < 3; i++) {
            for (CompiledModule residue : List.of(fixed, fixed, growing, fixed)) {
                for (String tenant : List.of("tenant-a", "tenant-b")) {
                    // 0: the memory held the module's bytes only (zero but for its data segment) at its size.
                    assertEquals(0, sandbox.run(residue, spec(tenant), request).exitCode(), tenant + ", run " + i);
                }
            }
        }
    }

    @Test
    void aReusedMemoryKeepsTheFunctionsOwnCap() {
        // memory-bomb grows until refused: the cap of the function it runs as, whatever memory ran before.
        CompiledModule fixed = module(TestModules.load("memory-residue-fixed"));
        CompiledModule bomb = module(TestModules.load("memory-bomb"));
        var request = new InvocationRequest(new byte[0], List.of(), Map.of());
        for (int pages : List.of(4, 9, 4)) {
            assertEquals(0, sandbox.run(fixed, spec("tenant-a"), request).exitCode());
            var failed = org.junit.jupiter.api.Assertions.assertThrows(SchedulerException.InvocationFailed.class,
                    () -> sandbox.run(bomb, spec("tenant-b", pages), request));
            assertEquals(SchedulerException.InvocationFailed.Kind.MEMORY_LIMIT, failed.kind(), failed.getMessage());
            org.junit.jupiter.api.Assertions.assertTrue(failed.getMessage().contains(pages + " pages"),
                    failed.getMessage());
        }
    }

    private String stdout(CompiledModule module, InvocationRequest request) {
        return new String(sandbox.run(module, spec(), request).stdout(), UTF_8);
    }

    private int exitCode(CompiledModule module) {
        return sandbox.run(module, spec(), new InvocationRequest(new byte[0], List.of(), Map.of())).exitCode();
    }

    private static FunctionSpec spec() {
        return spec("tenant");
    }

    private static FunctionSpec spec(String tenant) {
        return spec(tenant, 16);
    }

    private static FunctionSpec spec(String tenant, int memoryPages) {
        return new FunctionSpec(tenant, FunctionName.of("reuse"), "sha256:reuse", 1, memoryPages, 5_000,
                Instant.EPOCH, FUEL);
    }

    static CompiledModule module(byte[] wasm) {
        ModuleValidator.Checked checked = new ModuleValidator(WasiImports.create()).check(wasm);
        return new CompiledModule("sha256:reuse", checked.module(), checked.initialPages(), checked.maximumPages(),
                checked.definedFuelGlobal());
    }

}
