package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.MetricsTest.Exposition;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The access log through the production routing, to a real file: every request (a success, a problem, one without a
 * key, one with another tenant's key, an admin call, a path nothing serves) writes exactly one well-formed JSON line
 * with its fields, and nothing a client sent as a secret, query, body or free path text; a writer that cannot keep up
 * drops lines past its queue and counts them in {@code /metrics}.
 */
class AccessLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BODY = "body-text-that-must-not-leak";
    private static final String QUERY = "query-value-that-must-not-leak";
    private static final String PATH_TEXT = "free-path-text-that-must-not-leak";

    @TempDir
    Path dataDir;

    @Test
    void everyRequestWritesOneLineWithItsFieldsAndNothingSecret() throws Exception {
        Path file = dataDir.resolve("logs/access.jsonl");
        Files.createDirectories(file.getParent());
        String acme;
        String globex;
        Reply ok;
        Reply exited;
        int requests = 0;
        try (TestServer server = TestServer.start(dataDir.resolve("data"), Map.of("access-log", file.toString()),
                config -> Sluice.builder().config(config).traceIds(() -> "4bf92f3577b34da6a3ce929d0e0e4736"))) {
            acme = server.tenantWithKey("acme", "{}");
            globex = server.tenantWithKey("globex", "{}");
            requests += 4;
            assertEquals(201, server.deploy(acme, "greeter", TestModules.load("hello")).status());
            assertEquals(201, server.deploy(acme, "failing", TestModules.load("exit-code")).status());
            requests += 2;
            ok = server.call(acme, "POST", "/v1/functions/greeter/invoke/" + PATH_TEXT + "?token=" + QUERY,
                    BODY.getBytes(StandardCharsets.UTF_8), "text/plain");
            assertEquals(200, ok.status(), ok.toString());
            exited = server.call(acme, "POST", "/v1/functions/failing/invoke", new byte[0], "text/plain");
            assertEquals("function-failed", exited.problemType());
            assertEquals("unauthorized", server.call(null, "GET", "/v1/functions", null, null).problemType());
            assertEquals("not-found", server.call(globex, "POST", "/v1/functions/greeter/invoke",
                    BODY.getBytes(StandardCharsets.UTF_8), "text/plain").problemType(), "acme's function");
            assertEquals("not-found", server.call(acme, "GET", "/v1/" + PATH_TEXT, null, null).problemType());
            requests += 5;
            // A line is queued just after its response is sent: wait until the writer has written them all.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (Files.readAllLines(file, StandardCharsets.UTF_8).size() < requests
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        // Stopped: nothing more is written, so the count is final.
        List<String> raw = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(requests, raw.size(), "one line per request:\n" + String.join("\n", raw));
        List<JsonNode> lines = new ArrayList<>();
        for (String line : raw) {
            lines.add(JSON.readTree(line));
        }
        String text = String.join("\n", raw);
        for (String secret : List.of(acme, globex, TestServer.ADMIN_TOKEN, BODY, QUERY, PATH_TEXT, "Bearer")) {
            assertFalse(text.contains(secret), "the access log shows " + secret);
        }
        for (JsonNode line : lines) {
            assertEquals("2026-01-01T00:00:00Z", line.get("time").asText(), line.toString());
            assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", line.get("trace-id").asText());
            assertTrue(line.get("duration-ms").asDouble() >= 0);
            assertTrue(line.get("bytes-out").asLong() > 0, line.toString());
        }

        JsonNode success = only(lines, l -> l.path("invocation-id").asText().equals(
                ok.header("Sluice-Invocation-Id").orElseThrow()));
        assertEquals("POST", success.get("method").asText());
        assertEquals("/v1/functions/{name}/invoke/{+path}", success.get("route").asText());
        assertEquals("greeter", success.get("function").asText());
        assertEquals("acme", success.get("tenant").asText());
        assertEquals(200, success.get("status").asInt());
        assertTrue(success.get("problem").isNull());
        assertEquals(Long.parseLong(ok.header("Sluice-Fuel-Used").orElseThrow()), success.get("fuel").asLong());
        assertEquals(BODY.length(), success.get("bytes-in").asLong());

        JsonNode problem = only(lines, l -> l.path("invocation-id").asText().equals(
                exited.header("Sluice-Invocation-Id").orElseThrow()));
        assertEquals("/v1/functions/{name}/invoke", problem.get("route").asText());
        assertEquals("failing", problem.get("function").asText());
        assertEquals(502, problem.get("status").asInt());
        assertEquals("function-failed", problem.get("problem").asText());
        assertEquals(Long.parseLong(exited.header("Sluice-Fuel-Used").orElseThrow()), problem.get("fuel").asLong());

        JsonNode unauthenticated = only(lines, l -> l.get("status").asInt() == 401);
        assertEquals("/v1/functions", unauthenticated.get("route").asText());
        assertTrue(unauthenticated.get("tenant").isNull(), "no key, no tenant");
        assertEquals("unauthorized", unauthenticated.get("problem").asText());
        assertTrue(unauthenticated.get("fuel").isNull());

        JsonNode otherTenant = only(lines, l -> l.path("tenant").asText().equals("globex")
                && l.get("route").asText().endsWith("/invoke"));
        assertEquals(404, otherTenant.get("status").asInt());
        assertEquals("not-found", otherTenant.get("problem").asText());
        assertEquals("greeter", otherTenant.get("function").asText(), "the name it asked for");
        assertEquals(BODY.length(), otherTenant.get("bytes-in").asLong());

        JsonNode unmatched = only(lines, l -> l.get("route").asText().equals("unmatched"));
        assertEquals(404, unmatched.get("status").asInt());
        assertEquals("acme", unmatched.get("tenant").asText());

        List<JsonNode> admin = lines.stream().filter(l -> l.get("route").asText().startsWith("/admin/")).toList();
        assertEquals(4, admin.size(), "two tenants created, a key issued for each");
        admin.forEach(l -> assertTrue(l.get("tenant").isNull(), "an admin call has no tenant caller: " + l));
        assertEquals(2, lines.stream().filter(l -> l.get("route").asText().equals("/v1/functions/{name}")).count(),
                "the two deploys");
    }

    @Test
    void withTracingOnALineCarriesTheTraceIdTheResponseNamed() throws Exception {
        Path file = dataDir.resolve("access.jsonl");
        Reply reply;
        try (TestServer server = TestServer.start(dataDir.resolve("data"), Map.of("access-log", file.toString(),
                "tracing", "on"))) {
            reply = server.call(null, "GET", "/v1/functions", null, null);
            assertEquals(401, reply.status());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (Files.readAllLines(file, StandardCharsets.UTF_8).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        String traceId = reply.header("Sluice-Trace-Id").orElseThrow();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(1, lines.size(), lines.toString());
        assertEquals(traceId, JSON.readTree(lines.getFirst()).get("trace-id").asText());
    }

    @Test
    void aWriterThatCannotKeepUpDropsLinesPastItsQueueAndCountsThem() throws Exception {
        BlockedStream stream = new BlockedStream();
        int metricsPort;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            metricsPort = free.getLocalPort();
        }
        // Scraped on the management port, whose requests are not logged: only the six below are.
        try (TestServer server = TestServer.start(dataDir, Map.of("access-log-queue", "2",
                "metrics-port", Integer.toString(metricsPort)),
                config -> Sluice.builder().config(config).accessLogOutput(stream))) {
            assertEquals(200, health(server));
            assertTrue(stream.entered.await(30, TimeUnit.SECONDS), "the writer took the first line");
            for (int i = 0; i < 5; i++) {
                assertEquals(200, health(server), "a request never waits for the log");
            }
            // A line is queued just after its response is sent: wait for the last ones to be offered.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            Exposition metrics;
            do {
                Thread.sleep(20);
                metrics = Exposition.parse(server.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))).body());
            } while (metrics.value("sluice_access_log_dropped_total") < 3 && System.nanoTime() < deadline);
            assertEquals(3, metrics.value("sluice_access_log_dropped_total"), "two queued, three dropped");
            assertEquals("counter", metrics.types().get("sluice_access_log_dropped_total"));
            stream.release.countDown();
        }
        String written = stream.written.toString(StandardCharsets.UTF_8);
        assertEquals(3, written.lines().count(), "the line being written and the two queued:\n" + written);
        written.lines().forEach(line -> assertTrue(line.contains("\"route\":\"/health\""), line));
    }

    @Test
    void linesStillQueuedAtANormalStopReachTheStream() throws Exception {
        BlockedStream stream = new BlockedStream();
        TestServer server = TestServer.start(dataDir, Map.of(),
                config -> Sluice.builder().config(config).accessLogOutput(stream));
        int port = server.uri("/").getPort();
        assertEquals(200, health(server));
        assertTrue(stream.entered.await(30, TimeUnit.SECONDS), "the writer holds the first line");
        assertEquals(200, health(server));
        assertEquals(200, health(server));
        // Released inside the stop: once the listener refuses connections, the access log is the next to close.
        Thread releaser = Thread.ofPlatform().daemon().start(() -> {
            while (accepts(port)) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            stream.release.countDown();
        });
        server.close();
        releaser.join(TimeUnit.SECONDS.toMillis(30));
        String written = stream.written.toString(StandardCharsets.UTF_8);
        assertEquals(3, written.lines().count(), "the held line and the two queued behind it:\n" + written);
    }

    @Test
    void aStreamThatNeverUnblocksStillLetsTheServerStopWithinSeconds() throws Exception {
        BlockedStream stream = new BlockedStream();
        try {
            TestServer server = TestServer.start(dataDir, Map.of(),
                    config -> Sluice.builder().config(config).accessLogOutput(stream));
            assertEquals(200, health(server));
            assertTrue(stream.entered.await(30, TimeUnit.SECONDS), "the writer is stuck in its first write");
            assertEquals(200, health(server));
            long start = System.nanoTime();
            server.close();
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            // The writer waits a second, then gives up; generous bound for a loaded machine, far from "never".
            assertTrue(seconds < 20, "stop took " + seconds + " s");
            assertEquals(0, stream.written.size(), "nothing was written from the closing thread");
        } finally {
            stream.release.countDown(); // lets the abandoned daemon writer end
        }
    }

    private static boolean accepts(int port) {
        try (java.net.Socket socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void anAccessLogThatCannotBeOpenedStopsTheStartNamingTheKey() throws IOException {
        Path directory = Files.createDirectories(dataDir.resolve("a-directory"));
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("access-log", directory.toString(),
                "data-dir", dataDir.resolve("data").toString(), "port", "0"));
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> Sluice.builder().config(config).adminToken(java.util.Optional.of("t")).start());
        assertTrue(e.getMessage().startsWith("access-log: cannot append to '" + directory + "'"), e.getMessage());
        assertEquals("off", SluiceConfig.defaults().logs().accessLog(), "off by default");
        assertFalse(SluiceConfig.defaults().with(Map.of("access-log", "OFF")).logs().accessLogEnabled(),
                "OFF is off, not a file named OFF");
        assertEquals("stdout", SluiceConfig.defaults().with(Map.of("access-log", "Stdout")).logs().accessLog());
        assertEquals("access-log-queue: 0 (expected: 1..1000000)", org.junit.jupiter.api.Assertions.assertThrows(
                ConfigException.class, () -> SluiceConfig.defaults().with(Map.of("access-log-queue", "0")))
                .getMessage());
    }

    private static int health(TestServer server) {
        return server.call(null, "GET", "/health", null, null).status();
    }

    private static JsonNode only(List<JsonNode> lines, Predicate<JsonNode> which) {
        List<JsonNode> found = lines.stream().filter(which).toList();
        assertEquals(1, found.size(), "lines: " + lines);
        return found.getFirst();
    }

    /** A disk or pipe that stalls: the first write blocks until released, whatever interrupts it. */
    private static final class BlockedStream extends OutputStream {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final ByteArrayOutputStream written = new ByteArrayOutputStream();

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            entered.countDown();
            // Deaf to interrupts, like a write to a pipe nobody reads.
            boolean interrupted = false;
            while (release.getCount() > 0) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            synchronized (written) {
                written.write(b, off, len);
            }
        }
    }
}
