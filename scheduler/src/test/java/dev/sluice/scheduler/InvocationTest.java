package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.InvocationFailed.Kind;
import dev.sluice.scheduler.testing.TestModules;
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
 * Runs every fixture through the real scheduler. One worker only, so each hostile test proves the very thread
 * that ran the hostile guest still serves the next invocation.
 */
class InvocationTest {
    /** A budget no fixture exhausts before its timeout, so these tests see the limits they are about. */
    private static final long UNMETERED = 1L << 50;
    private static final long STDOUT_CAP = 64 << 10;
    private static final long STDERR_CAP = 4 << 10;

    @TempDir
    static Path dataDir;

    private static LocalScheduler scheduler;

    @BeforeAll
    static void open() {
        var settings = new SchedulerSettings(1, 1, 8, STDOUT_CAP, STDERR_CAP, 2L << 20);
        scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH));
    }

    @AfterAll
    static void close() {
        scheduler.close();
    }

    private static FunctionSpec deploy(String fixture, int memoryPages, long timeoutMs) {
        return scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of(fixture),
                TestModules.load(fixture), memoryPages, timeoutMs, 1 << 20, UNMETERED)).spec();
    }

    private static InvocationResult invoke(String fixture, String stdin, Map<String, String> env) {
        return scheduler.dispatcher().invoke(deploy(fixture, 16, 5_000),
                new InvocationRequest(stdin.getBytes(UTF_8), List.of(fixture), env));
    }

    private static InvocationFailed failure(String fixture, int memoryPages, long timeoutMs) {
        FunctionSpec spec = deploy(fixture, memoryPages, timeoutMs);
        return assertThrows(InvocationFailed.class, () -> scheduler.dispatcher().invoke(spec,
                new InvocationRequest(new byte[0], List.of(), Map.of())));
    }

    private static void assertWorkerStillServes() {
        var result = invoke("plain", "", Map.of());
        assertEquals("just text\n", new String(result.stdout(), UTF_8));
    }

    @Test
    void helloEchoesTheQueryStringThenStdin() {
        var result = invoke("hello", "xyz", Map.of("QUERY_STRING", "name=ada", "OTHER", "1"));
        assertEquals(0, result.exitCode());
        assertEquals("Content-Type: text/plain\n\nhello name=ada\nxyz", new String(result.stdout(), UTF_8));
        assertEquals(0, result.stderr().length);
    }

    @Test
    void helloWithoutQueryStringGreetsNobody() {
        var result = invoke("hello", "", Map.of());
        assertEquals("Content-Type: text/plain\n\nhello \n", new String(result.stdout(), UTF_8));
    }

    @Test
    void echoCopiesStdinByteForByte() {
        byte[] body = new byte[50_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        var result = scheduler.dispatcher().invoke(deploy("echo", 16, 5_000),
                new InvocationRequest(body, List.of(), Map.of()));
        byte[] header = "Content-Type: application/octet-stream\n\n".getBytes(UTF_8);
        byte[] expected = new byte[header.length + body.length];
        System.arraycopy(header, 0, expected, 0, header.length);
        System.arraycopy(body, 0, expected, header.length, body.length);
        assertArrayEquals(expected, result.stdout());
    }

    @Test
    void statusPrintsItsHeadersAndBody() {
        assertEquals("Status: 201 Created\nContent-Type: text/plain\nX-Custom: yes\n\ncreated\n",
                new String(invoke("status", "", Map.of()).stdout(), UTF_8));
    }

    @Test
    void plainPrintsJustText() {
        assertEquals("just text\n", new String(invoke("plain", "", Map.of()).stdout(), UTF_8));
    }

    @Test
    void procExitGivesItsCodeAndStderrIsCaptured() {
        var result = invoke("exit-code", "", Map.of());
        assertEquals(3, result.exitCode());
        assertEquals("boom\n", new String(result.stderr(), UTF_8));
        assertEquals(0, result.stdout().length);
    }

    @Test
    void infiniteLoopIsStoppedAtItsTimeout() {
        long started = System.nanoTime();
        var e = failure("infinite-loop", 16, 300);
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;

        assertEquals(Kind.TIMEOUT, e.kind());
        assertTrue(elapsedMs >= 300 && elapsedMs < 3_000, "took " + elapsedMs + " ms");
        assertWorkerStillServes();
    }

    @Test
    void sleepingGuestIsStoppedAtItsTimeout() {
        var e = failure("sleep", 16, 50);
        assertEquals(Kind.TIMEOUT, e.kind());
        assertWorkerStillServes();
    }

    @Test
    void memoryBombHitsTheMemoryLimitWithoutTouchingTheHostHeap() {
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        var e = failure("memory-bomb", 32, 5_000);
        long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();

        assertEquals(Kind.MEMORY_LIMIT, e.kind(), e.getMessage());
        // 32 pages are 2 MiB; the bomb would take 4 GiB if it could.
        assertTrue(after - before < 256L << 20, "heap grew by " + (after - before));
        assertWorkerStillServes();
    }

    @Test
    void stdoutFloodHitsTheOutputLimit() {
        var e = failure("huge-output", 16, 5_000);
        assertEquals(Kind.OUTPUT_LIMIT, e.kind());
        assertTrue(e.getMessage().contains("stdout"), e.getMessage());
        assertWorkerStillServes();
    }

    @Test
    void stderrFloodHitsTheOutputLimitAndKeepsWhatFitted() {
        var e = failure("stderr-flood", 16, 5_000);
        assertEquals(Kind.OUTPUT_LIMIT, e.kind());
        assertTrue(e.getMessage().contains("stderr"), e.getMessage());
        assertEquals(STDERR_CAP, e.stderr().length);
        assertWorkerStillServes();
    }

    @Test
    void unboundedRecursionExhaustsTheStack() {
        var e = failure("deep-recursion", 16, 5_000);
        assertEquals(Kind.STACK_EXHAUSTED, e.kind(), e.getMessage());
        assertWorkerStillServes();
    }

    @Test
    void unreachableIsATrapWithItsMessage() {
        var e = failure("trap", 16, 5_000);
        assertEquals(Kind.TRAP, e.kind());
        assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
        assertWorkerStillServes();
    }

    @Test
    void divisionByZeroIsATrap() {
        var e = failure("div-zero", 16, 5_000);
        assertEquals(Kind.TRAP, e.kind());
        assertTrue(e.getMessage().contains("divide by zero"), e.getMessage());
        assertWorkerStillServes();
    }

    @Test
    void outOfBoundsAccessIsATrap() {
        var e = failure("out-of-bounds", 16, 5_000);
        assertEquals(Kind.TRAP, e.kind());
        assertTrue(e.getMessage().contains("out of bounds"), e.getMessage());
        assertWorkerStillServes();
    }
}
