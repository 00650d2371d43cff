package dev.sluice.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The V8 peers answer hello, echo and fib with exactly the bodies {@link PeerRatio} requires of Sluice (which
 * {@link PeerRatioTest} checks against Sluice itself), through the shared WAGI shim; each engine's test is skipped
 * where the engine is not installed (workerd: {@code npm install --prefix ~/.cache/sluice-peers
 * @cloudflare/workerd-linux-64}; Node: CI installs it).
 */
class ScriptPeerTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void nodeRunsTheSameModulesAsSluiceAndAnswersTheSameBodies(@TempDir Path dir) throws Exception {
        answersLikeSluice(ScriptPeer.NODE, ScriptPeer.nodeBinary(), ScriptPeer::node, dir);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void workerdRunsTheSameModulesAsSluiceAndAnswersTheSameBodies(@TempDir Path dir) throws Exception {
        answersLikeSluice(ScriptPeer.WORKERD, ScriptPeer.workerdBinary(), ScriptPeer::workerd, dir);
    }

    private interface Start {
        ScriptPeer start(Path binary, int port, Path dir);
    }

    private static void answersLikeSluice(String name, Optional<Path> binary, Start start, Path dir)
            throws Exception {
        assumeTrue(binary.isPresent(), name + " is not installed");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        byte[] body = "1 KiB or any bytes: \u0000\u00ff\r\n\r\nnot headers".getBytes(StandardCharsets.ISO_8859_1);
        try (ScriptPeer peer = start.start(binary.get(), RoleProcess.freePort(), dir).awaitReady(Duration.ofSeconds(30))) {
            BiFunction<String, HttpRequest.Builder, HttpResponse<byte[]>> send = (scenario, request) -> {
                try {
                    return http.send(request.uri(peer.uri().resolve("/" + scenario)).timeout(Duration.ofSeconds(20))
                            .build(), HttpResponse.BodyHandlers.ofByteArray());
                } catch (Exception e) {
                    throw new AssertionError(scenario + ": " + e, e);
                }
            };
            HttpResponse<byte[]> hello = send.apply("hello", HttpRequest.newBuilder().GET());
            HttpResponse<byte[]> echo = send.apply("echo", HttpRequest.newBuilder()
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
            HttpResponse<byte[]> fib = send.apply("fib", HttpRequest.newBuilder().GET());

            assertEquals(200, hello.statusCode(), peer.tail());
            assertArrayEquals(PeerRatio.expected(name, "hello", body), hello.body(), new String(hello.body()));
            assertEquals("text/plain", hello.headers().firstValue("content-type").orElseThrow(),
                    "the module's CGI header");
            assertEquals(200, echo.statusCode(), peer.tail());
            assertArrayEquals(PeerRatio.expected(name, "echo", body), echo.body());
            assertEquals(200, fib.statusCode(), peer.tail());
            assertArrayEquals(PeerRatio.expected(name, "fib", body), fib.body(), new String(fib.body()));
            assertTrue(peer.cpuSeconds() > 0, "CPU time from /proc: " + peer.cpuSeconds());
        }
    }
}
