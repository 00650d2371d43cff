package dev.sluice.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine against a JDK HTTP server on loopback that answers after a known delay, and that can stall once for a
 * known time. Bounds are loose: the machine running this is shared, so only what the design guarantees is asserted
 * (the delay is a floor for every latency; the stall shows in open-loop and corrected closed-loop percentiles and
 * not in raw closed-loop ones).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LoadGeneratorTest {
    private static final long DELAY_MS = 5;
    private static final long STALL_MS = 600;

    private HttpServer server;
    private URI uri;
    /** Set to the start of a stall, from the first request that arrives this long after the first request. */
    private final AtomicLong firstRequest = new AtomicLong();
    private final AtomicLong stallStart = new AtomicLong();
    private volatile long stallAfterNanos = Long.MAX_VALUE;

    @BeforeEach
    void startServer() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            long now = System.nanoTime();
            firstRequest.compareAndSet(0, now);
            long pause = DELAY_MS * 1_000_000;
            if (now - firstRequest.get() >= stallAfterNanos) {
                stallStart.compareAndSet(0, now);
                long stallEnd = stallStart.get() + STALL_MS * 1_000_000;
                pause = Math.max(pause, stallEnd - now);
            }
            try {
                Thread.sleep(Duration.ofNanos(pause));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(exchange.getRequestURI().getPath().equals("/missing") ? 404 : 200, -1);
            exchange.close();
        });
        server.start();
        uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private static LoadGenerator generator() {
        return new LoadGenerator(LoadGenerator.client(), Duration.ofSeconds(5));
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(uri.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build();
    }

    @Test
    void openLoopSendsTheScheduledCountAndEveryLatencyIncludesTheServiceDelay() throws Exception {
        LoadResult result = generator().run("steady", LoadPlan.open(100, 32, Duration.ofMillis(500),
                Duration.ofSeconds(2)), request("/"));

        // 100/s for 2 s: 200 intended times, each sent exactly once.
        assertEquals(200, result.count(), LoadResult.table(List.of(result)));
        assertEquals(Map.of(), result.errors());
        assertEquals(200, result.latencies().getTotalCount());
        assertTrue(result.latencies().getMinValue() >= DELAY_MS * 1000, "no answer before the delay: "
                + result.latencies().getMinValue() + " µs");
        assertTrue(result.millis(50) < DELAY_MS + 50, "the median is about the delay: " + result.millis(50));
        assertEquals(100, result.throughput(), 0.01);
    }

    @Test
    void openLoopLatenciesIncludeAStallForTheRequestsScheduledDuringIt() throws Exception {
        stallAfterNanos = TimeUnit.MILLISECONDS.toNanos(700);
        LoadResult result = generator().run("stalled", LoadPlan.open(100, 200, Duration.ZERO,
                Duration.ofSeconds(2)), request("/"));

        // 60 of the 200 requests were due while the server stalled; each waited for the rest of the stall, so
        // about the slowest 30 % are above 100 ms and the slowest are near the whole stall.
        assertEquals(200, result.count(), LoadResult.table(List.of(result)));
        assertTrue(result.millis(90) > 100, "p90 shows the stall: " + LoadResult.table(List.of(result)));
        assertTrue(result.millis(100) >= STALL_MS - 20, "max is the stall: " + LoadResult.table(List.of(result)));
    }

    @Test
    void closedLoopHidesAStallUnlessCorrectedForItsTargetRate() throws Exception {
        stallAfterNanos = TimeUnit.MILLISECONDS.toNanos(700);
        LoadPlan raw = LoadPlan.closed(1, 0, Duration.ZERO, Duration.ofSeconds(2));
        LoadResult naive = generator().run("naive", raw, request("/"));
        assertTrue(naive.millis(100) >= STALL_MS - 20, "one request met the stall: " + LoadResult.table(List.of(naive)));
        assertTrue(naive.millis(90) < 100, "but the raw p90 does not show it: " + LoadResult.table(List.of(naive)));

        firstRequest.set(0);
        stallStart.set(0);
        LoadPlan corrected = LoadPlan.closed(1, 1000.0 / (DELAY_MS + 2), Duration.ZERO, Duration.ofSeconds(2));
        LoadResult fixed = generator().run("corrected", corrected, request("/"));
        assertTrue(fixed.millis(90) > 100, "the corrected p90 shows it: " + LoadResult.table(List.of(naive, fixed)));
        assertTrue(fixed.latencies().getTotalCount() > fixed.count(),
                "the requests the stalled client did not send were filled in");
    }

    @Test
    void aSpreadLoadSendsEachTargetItsShareAndRecordsEveryCallTwice() throws Exception {
        Map<String, AtomicLong> arrived = new java.util.concurrent.ConcurrentHashMap<>();
        server.createContext("/t/", exchange -> {
            arrived.computeIfAbsent(exchange.getRequestURI().getPath(), p -> new AtomicLong()).incrementAndGet();
            exchange.sendResponseHeaders(exchange.getRequestURI().getPath().equals("/t/c") ? 503 : 200, -1);
            exchange.close();
        });
        List<LoadGenerator.Target> targets = List.of(new LoadGenerator.Target("a", request("/t/a")),
                new LoadGenerator.Target("b", request("/t/b")), new LoadGenerator.Target("c", request("/t/c")));

        LoadGenerator.Spread open = generator().spread("three", LoadPlan.open(60, 16, Duration.ofMillis(200),
                Duration.ofSeconds(1)), targets, 2);

        // 60/s: 12 warm-up and 60 measured calls, every third to each target.
        assertEquals(60, open.whole().count(), LoadResult.table(List.of(open.whole())));
        assertEquals(List.of("a", "b", "c"), open.targets().stream().map(LoadResult::name).toList());
        for (LoadResult target : open.targets()) {
            assertEquals(20, target.count(), LoadResult.table(open.targets()));
        }
        assertEquals(Map.of("503", 20L), open.whole().errors());
        assertEquals(Map.of("503", 20L), open.targets().get(2).errors());
        assertEquals(Map.of(), open.targets().getFirst().errors());
        assertEquals(Map.of("/t/a", 24L, "/t/b", 24L, "/t/c", 24L), Map.of("/t/a", arrived.get("/t/a").get(),
                "/t/b", arrived.get("/t/b").get(), "/t/c", arrived.get("/t/c").get()));

        LoadGenerator.Spread closed = generator().spread("three", LoadPlan.closed(2, 0, Duration.ZERO,
                Duration.ofMillis(400)), targets, 2);
        long sum = closed.targets().stream().mapToLong(LoadResult::count).sum();
        assertEquals(closed.whole().count(), sum, LoadResult.table(closed.targets()));
        for (LoadResult target : closed.targets()) {
            assertTrue(Math.abs(target.count() - sum / 3.0) <= 2, "closed-loop clients take the targets in turn: "
                    + LoadResult.table(closed.targets()));
        }
    }

    @Test
    void errorsAreCountedByStatusAndTheResultsFileParses(@TempDir Path dir) throws Exception {
        LoadGenerator generator = generator();
        LoadResult ok = generator.run("ok", LoadPlan.open(50, 8, Duration.ZERO, Duration.ofMillis(400)),
                request("/"));
        LoadResult missing = generator.run("missing", LoadPlan.closed(2, 0, Duration.ZERO, Duration.ofMillis(400)),
                request("/missing"));
        assertEquals(Map.of("404", missing.count()), missing.errors());
        assertTrue(missing.count() > 0);

        Path file = dir.resolve("out/results.json");
        LoadResult.writeJson(file, "test", Map.of("rate", 50), List.of(ok, missing));

        JsonNode root = new ObjectMapper().readTree(file.toFile());
        assertEquals("test", root.get("scenario").asText());
        assertEquals(50, root.get("settings").get("rate").asInt());
        JsonNode first = root.get("results").get(0);
        assertEquals("ok", first.get("name").asText());
        assertEquals("open", first.get("mode").asText());
        assertEquals(20, first.get("count").asLong());
        assertEquals(ok.millis(99), first.get("latency-ms").get("p99").asDouble());
        assertTrue(first.get("latency-ms").has("p99.9"));
        JsonNode second = root.get("results").get(1);
        assertEquals("closed", second.get("mode").asText());
        assertEquals(missing.count(), second.get("errors").get("404").asLong());
    }
}
