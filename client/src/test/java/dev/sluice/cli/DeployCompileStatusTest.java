package dev.sluice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What deploy shows on a terminal and while the server compiles, against a stand-in server (JDK HttpServer) that
 * answers {@code "compiled": false} and turns true after {@code compiledAfter} reads: the real server's compile
 * timing cannot be held still, this one's can. The real server's answers are CliProcessTest's.
 */
class DeployCompileStatusTest {
    @TempDir
    Path dir;
    private HttpServer server;
    private final AtomicInteger reads = new AtomicInteger();
    private final AtomicLong received = new AtomicLong();
    private volatile int compiledAfter = 2;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/functions/f", exchange -> {
            boolean put = exchange.getRequestMethod().equals("PUT");
            if (put) {
                received.set(exchange.getRequestBody().readAllBytes().length);
            }
            boolean compiled = !put && reads.incrementAndGet() >= compiledAfter;
            byte[] body = ("{\"name\":\"f\",\"digest\":\"sha256:ab\",\"size\":" + received.get()
                    + ",\"memory-pages\":1,\"timeout-ms\":5,\"fuel\":9,\"deployed-at\":\"2026-01-01T00:00:00Z\","
                    + "\"compiled\":" + compiled + "}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(put ? 201 : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private record Result(int exit, String out, String err) {}

    private Result deploy(boolean terminal, String... extra) throws IOException {
        Path module = dir.resolve("m.wasm");
        Files.write(module, new byte[2 * 1024 * 1024]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Console console = new Console(out, err, terminal, terminal, false);
        Map<String, String> env = Map.of("SLUICE_URL", "http://127.0.0.1:" + server.getAddress().getPort(),
                "SLUICE_KEY", "k");
        String[] args = new String[3 + extra.length];
        args[0] = "deploy";
        args[1] = "f";
        args[2] = module.toString();
        System.arraycopy(extra, 0, args, 3, extra.length);
        int exit = new Cli(env, dir.toString(), console, "test").run(args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aModuleStillCompilingIsWaitedForWithStatusOnStderr() throws IOException {
        Result result = deploy(false);
        assertEquals(0, result.exit, result.err);
        assertEquals("deployed f: 2.0 MiB, sha256:ab\nmemory-pages 1, timeout-ms 5, fuel 9\n", result.out);
        assertTrue(result.err.matches("compiling…\ncompiled \\(\\d+ ms\\)\n"), result.err);
        assertEquals(2, reads.get(), "polled until compiled");
        assertEquals(2 * 1024 * 1024, received.get());
    }

    @Test
    void theWaitIsBoundedAndCanBeSkipped() throws IOException {
        compiledAfter = Integer.MAX_VALUE;
        Result bounded = deploy(false, "--wait-seconds", "0");
        assertEquals(0, bounded.exit);
        assertEquals("compiling…\nstill compiling after 0 s; it runs on the interpreter meanwhile\n", bounded.err);
        Result skipped = deploy(false, "--no-wait");
        assertEquals("", skipped.err);
        assertEquals(0, reads.get());
    }

    @Test
    void onATerminalALargeUploadIsOneLineRedrawnInPlace() throws IOException {
        Result result = deploy(true, "--no-wait");
        assertTrue(result.err.startsWith("\ruploading 0 B of 2.0 MiB (0%)\u001b[K"), result.err);
        assertTrue(result.err.endsWith("\ruploading 2.0 MiB of 2.0 MiB (100%)\u001b[K\n"), result.err);
        assertFalse(result.err.contains("uploaded "), "no plain lines on a terminal");
    }

    @Test
    void withoutATerminalOrProgressNothingIsShown() throws IOException {
        Result result = deploy(false, "--no-wait");
        assertEquals("", result.err);
    }

    @Test
    void theJsonIsTheDeployAnswerAsSent() throws IOException {
        Result result = deploy(false, "--json", "--no-wait");
        assertTrue(result.out.startsWith("{\"name\":\"f\",\"digest\":\"sha256:ab\""), result.out);
        assertTrue(result.out.contains("\"compiled\":false"), result.out);
    }
}
