package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real compiled programs deploy and run. {@code wat2wasm} is wabt 1.0.32's text-to-binary compiler built for WASI
 * at -O0 ({@code build-wat2wasm.sh}): 3 MB, 12 411 functions, seven of them over the 1 024 locals the sandbox once
 * refused (the largest 21 380). It reads a module's text on stdin and writes the binary to stdout; its output is
 * compared with the fixture that the native wat2wasm of the same version built, then deployed and run in turn.
 */
class RealProgramsTest {
    private static final long FUEL = 10_000_000_000L;

    @TempDir
    static Path dataDir;

    private static LocalScheduler scheduler;

    @BeforeAll
    static void open() {
        // The default worker stack (8 MiB); a compile budget long enough for a 3 MB module on a loaded machine.
        var settings = new SchedulerSettings(1, 1, 8, 4 << 20, 1 << 20, 8L << 20).withCompileBudgetMillis(120_000);
        scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH));
    }

    @AfterAll
    static void close() {
        scheduler.close();
    }

    private static FunctionSpec deploy(String name, byte[] module) {
        return scheduler.functions().deploy(new DeployRequest("real", FunctionName.of(name), module, 256, 120_000,
                64L << 20, FUEL)).spec();
    }

    private static byte[] text(String fixture) throws IOException {
        try (InputStream in = RealProgramsTest.class.getResourceAsStream("/wasm/" + fixture + ".wat")) {
            return in.readAllBytes();
        }
    }

    @Test
    void wat2wasmDeploysAndCompilesTextIntoTheSameBinaryAsTheNativeTool() throws IOException {
        long started = System.nanoTime();
        FunctionSpec wat2wasm = deploy("wat2wasm", TestModules.load("wat2wasm"));
        long deployMs = (System.nanoTime() - started) / 1_000_000;
        for (String fixture : List.of("plain", "fuel-control", "stack-exits")) {
            started = System.nanoTime();
            var result = scheduler.dispatcher().invoke(wat2wasm, new InvocationRequest(text(fixture),
                    List.of("wat2wasm", "-", "--enable-tail-call", "--output=-"), Map.of()));
            long invokeMs = (System.nanoTime() - started) / 1_000_000;
            System.out.printf("wat2wasm: deploy %d ms; %s.wat -> %d bytes in %d ms, %d fuel%n", deployMs, fixture,
                    result.stdout().length, invokeMs, result.fuelUsed());
            assertEquals(0, result.exitCode(), new String(result.stderr(), UTF_8));
            assertArrayEquals(TestModules.load(fixture), result.stdout(), fixture);
        }
    }

    @Test
    void whatWat2wasmBuiltDeploysAndRuns() throws IOException {
        FunctionSpec wat2wasm = deploy("wat2wasm", TestModules.load("wat2wasm"));
        var built = scheduler.dispatcher().invoke(wat2wasm, new InvocationRequest(text("plain"),
                List.of("wat2wasm", "-", "--output=-"), Map.of()));
        var result = scheduler.dispatcher().invoke(deploy("built", built.stdout()),
                new InvocationRequest(new byte[0], List.of(), Map.of()));
        assertEquals("just text\n", new String(result.stdout(), UTF_8));
    }

    @Test
    void wat2wasmReportsAnErrorInItsInputOnStderrAndExitsWithOne() {
        FunctionSpec wat2wasm = deploy("wat2wasm", TestModules.load("wat2wasm"));
        var result = scheduler.dispatcher().invoke(wat2wasm, new InvocationRequest("(module (func (i32.nope)))"
                .getBytes(UTF_8), List.of("wat2wasm", "-", "--output=-"), Map.of()));
        assertEquals(1, result.exitCode());
        assertTrue(new String(result.stderr(), UTF_8).contains("error"), new String(result.stderr(), UTF_8));
        assertEquals(0, result.stdout().length);
    }

    /** The wat2wasm the issue was found with: the WASI build shipped as the resource {@code wat2wasm} of Maven's
     *  {@code com.dylibso.chicory:wabt:1.0.0}, once refused with "function 1522 declares more than 1024 locals". */
    private static byte[] chicoryWabtWat2wasm() throws IOException {
        try (InputStream in = RealProgramsTest.class.getResourceAsStream("/wat2wasm")) {
            if (in == null) {
                throw new IllegalStateException("resource /wat2wasm of com.dylibso.chicory:wabt is not on the test path");
            }
            return in.readAllBytes();
        }
    }

    @Test
    void theChicoryWabtArtifactsWat2wasmDeploysAndBuildsAModuleThatRuns() throws IOException {
        FunctionSpec wat2wasm = deploy("chicory-wat2wasm", chicoryWabtWat2wasm());
        var built = scheduler.dispatcher().invoke(wat2wasm, new InvocationRequest(text("plain"),
                List.of("wat2wasm", "-", "--output=-"), Map.of()));
        assertEquals(0, built.exitCode(), new String(built.stderr(), UTF_8));
        var result = scheduler.dispatcher().invoke(deploy("chicory-built", built.stdout()),
                new InvocationRequest(new byte[0], List.of(), Map.of()));
        assertEquals("just text\n", new String(result.stdout(), UTF_8));
    }
}
