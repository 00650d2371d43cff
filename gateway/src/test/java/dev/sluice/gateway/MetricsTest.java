package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} through the production routing: who may scrape it, that what two tenants did moves each one's
 * series by exactly that much, that nothing secret or tenant-written shows, and that Prometheus' own linter accepts it.
 */
class MetricsTest {
    /** Distinctive names, so their absence from the scrape means something: function names are never labels. */
    private static final String GREETER = "greeter-fn-7q";
    private static final String FAILING = "failing-fn-3z";
    private static final String BODY = "body-text-that-must-not-leak";

    @TempDir
    Path dataDir;
    TestServer server;

    @BeforeEach
    void start() {
        server = TestServer.start(dataDir);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void onlyTheAdminTokenMayScrape() {
        String key = server.tenantWithKey("acme", "{}");
        assertEquals(401, server.call(null, "GET", "/metrics", null, null).status());
        assertEquals(401, server.call(key, "GET", "/metrics", null, null).status(), "a tenant key is not enough");
        assertEquals(401, server.call("not-the-token", "GET", "/metrics", null, null).status());
        Reply scraped = server.admin("GET", "/metrics", null);
        assertEquals(200, scraped.status(), scraped.toString());
        assertTrue(scraped.header("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"),
                scraped.header("Content-Type").orElseThrow());
    }

    @Test
    void countersMoveByExactlyTheCallsEachTenantMade() throws Exception {
        String acme = server.tenantWithKey("acme", "{}");
        String globex = server.tenantWithKey("globex", "{\"invocations-per-minute\": 2}");
        // One request per second with a burst of 1 and a clock that does not move: the second request is throttled.
        String initech = server.tenantWithKey("initech", "{\"requests-per-second\": 1, \"burst\": 1}");

        assertEquals(201, server.deploy(acme, GREETER, TestModules.load("hello")).status());
        assertEquals(201, server.deploy(acme, FAILING, TestModules.load("exit-code")).status());
        assertEquals(201, server.deploy(globex, GREETER, TestModules.load("hello")).status());
        long acmeFuel = 0;
        for (int i = 0; i < 3; i++) {
            Reply ok = invoke(acme, GREETER);
            assertEquals(200, ok.status(), ok.toString());
            acmeFuel += Long.parseLong(ok.header("Sluice-Fuel-Used").orElseThrow());
        }
        Reply exited = invoke(acme, FAILING);
        assertEquals("function-failed", exited.problemType());
        acmeFuel += Long.parseLong(exited.header("Sluice-Fuel-Used").orElseThrow());
        long globexFuel = 0;
        for (int i = 0; i < 2; i++) {
            Reply ok = invoke(globex, GREETER);
            assertEquals(200, ok.status(), ok.toString());
            globexFuel += Long.parseLong(ok.header("Sluice-Fuel-Used").orElseThrow());
        }
        assertEquals(429, invoke(globex, GREETER).status(), "the third call of the minute");
        assertEquals(200, server.call(initech, "GET", "/v1/functions", null, null).status());
        assertEquals(429, server.call(initech, "GET", "/v1/functions", null, null).status());

        Reply scraped = server.admin("GET", "/metrics", null);
        assertEquals(200, scraped.status(), scraped.toString());
        String text = scraped.body();
        Exposition metrics = Exposition.parse(text);

        assertEquals(3, metrics.value("sluice_invocations_total", "tenant", "acme", "outcome", "ok"));
        assertEquals(1, metrics.value("sluice_invocations_total", "tenant", "acme", "outcome", "exited"));
        assertEquals(2, metrics.value("sluice_invocations_total", "tenant", "globex", "outcome", "ok"));
        assertEquals(1, metrics.value("sluice_invocations_total", "tenant", "globex", "outcome", "throttled"));
        assertEquals(4, metrics.sum("sluice_invocations_total", "tenant", "acme"));
        assertEquals(3, metrics.sum("sluice_invocations_total", "tenant", "globex"));
        assertEquals(0, metrics.sum("sluice_invocations_total", "tenant", "initech"), "no invocation, one throttle");
        assertEquals(4, metrics.value("sluice_invocation_duration_seconds_count", "tenant", "acme"));
        assertEquals(3, metrics.value("sluice_invocation_duration_seconds_count", "tenant", "globex"));
        assertEquals(acmeFuel, metrics.value("sluice_fuel_used_total", "tenant", "acme"));
        assertEquals(globexFuel, metrics.value("sluice_fuel_used_total", "tenant", "globex"));
        assertEquals(1, metrics.value("sluice_throttles_total", "tenant", "globex", "quota", "invocations-minute"));
        assertEquals(1, metrics.value("sluice_throttles_total", "tenant", "initech", "quota", "rate"));
        assertEquals(1, metrics.sum("sluice_throttles_total", "tenant", "globex"));
        assertEquals(0, metrics.sum("sluice_throttles_total", "tenant", "acme"));
        assertEquals(0, metrics.value("sluice_invocations_in_flight", "tenant", "acme"), "every call has ended");
        assertEquals(2, metrics.value("sluice_deploys_total", "tenant", "acme", "outcome", "deployed"));
        assertEquals(1, metrics.value("sluice_deploys_total", "tenant", "globex", "outcome", "deployed"));
        assertEquals(0, metrics.value("sluice_quota_fallbacks_total"), "the local store never fails open");
        assertEquals("counter", metrics.types.get("sluice_usage_dropped_total"));
        assertEquals("gauge", metrics.types.get("sluice_usage_buffered"));
        assertTrue(metrics.types.containsKey("sluice_config_polls_total"), metrics.types.toString());
        assertEquals("counter", metrics.types.get("sluice_invocations_total"));
        assertEquals("histogram", metrics.types.get("sluice_invocation_duration_seconds"));
        assertEquals("gauge", metrics.types.get("sluice_invocations_in_flight"));

        for (String secret : List.of(acme, globex, initech, TestServer.ADMIN_TOKEN, BODY, GREETER, FAILING)) {
            assertFalse(text.contains(secret), "the scrape shows " + secret);
        }
        Promtool.accepts(text, dataDir);
    }

    @Test
    void theManagementPortServesMetricsWithoutTheTokenAndNothingElse() throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        try (TestServer managed = TestServer.start(dataDir.resolve("managed"),
                Map.of("metrics-port", Integer.toString(port)))) {
            assertEquals(port, managed.sluice.metricsPort());
            String key = managed.tenantWithKey("acme", "{}");
            managed.call(key, "GET", "/v1/functions", null, null);
            Reply scraped = managed.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")));
            assertEquals(200, scraped.status(), scraped.toString());
            assertTrue(scraped.header("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
            assertTrue(Exposition.parse(scraped.body()).types().containsKey("sluice_config_polls_total"));
            Reply other = managed.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/admin/v1/tenants")).header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN));
            assertEquals("not-found", other.problemType(), "the admin API is not on the management port");
            assertEquals(401, managed.call(null, "GET", "/metrics", null, null).status(),
                    "the main port still wants the admin token");
        }
    }

    @Test
    void aMetricsPortOutOfRangeIsRefusedNamingTheKey() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> SluiceConfig.defaults().with(Map.of("metrics-port", "-5")));
        assertEquals("metrics-port: -5 (expected: 0..65535)", e.getMessage());
        assertEquals(0, SluiceConfig.defaults().metrics().metricsPort(), "off by default");
        assertEquals("127.0.0.1", SluiceConfig.defaults().metrics().metricsHost());
    }

    private Reply invoke(String key, String function) {
        return server.call(key, "POST", "/v1/functions/" + function + "/invoke",
                BODY.getBytes(StandardCharsets.UTF_8), "text/plain");
    }

    /** The text exposition, parsed: {@code # TYPE name kind} lines and {@code name{labels} value} samples. */
    record Exposition(Map<String, String> types, List<Sample> samples) {
        private static final Pattern TYPE = Pattern.compile("# TYPE (\\S+) (\\S+)");
        private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)");
        private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

        record Sample(String name, Map<String, String> labels, double value) {
        }

        /** A scrape that may throw (an HTTP fetch from another process). */
        interface Scrape {
            Exposition get() throws Exception;
        }

        /**
         * Scrapes until {@code condition} holds (what it counts happens on other threads or processes), for at most
         * {@code timeout}; the one poll loop of the metrics tests.
         */
        static Exposition await(Scrape scrape, Predicate<Exposition> condition, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Exposition metrics = scrape.get();
                if (condition.test(metrics)) {
                    return metrics;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("condition never held; last scrape: " + metrics.samples());
                }
                Thread.sleep(20);
            }
        }

        static Exposition parse(String text) {
            Map<String, String> types = new HashMap<>();
            List<Sample> samples = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("# HELP")) {
                    continue;
                }
                Matcher type = TYPE.matcher(line);
                if (type.matches()) {
                    types.put(type.group(1), type.group(2));
                    continue;
                }
                Matcher sample = SAMPLE.matcher(line);
                if (!sample.matches()) {
                    throw new AssertionError("not a sample line: " + line);
                }
                Map<String, String> labels = new TreeMap<>();
                String rawLabels = sample.group(2) == null ? "" : sample.group(2);
                Matcher label = LABEL.matcher(rawLabels);
                int end = 0;
                while (label.find() && label.start() == end) {
                    labels.put(label.group(1), label.group(2));
                    end = label.end();
                }
                if (end != rawLabels.length()) {
                    throw new AssertionError("bad labels: " + line);
                }
                samples.add(new Sample(sample.group(1), labels, Double.parseDouble(sample.group(3))));
            }
            return new Exposition(types, samples);
        }

        /** The one sample with exactly these labels; 0 when absent (a counter never incremented is not written). */
        long value(String name, String... labels) {
            Map<String, String> wanted = new TreeMap<>();
            for (int i = 0; i < labels.length; i += 2) {
                wanted.put(labels[i], labels[i + 1]);
            }
            List<Sample> found = samples.stream()
                    .filter(s -> s.name().equals(name) && s.labels().equals(wanted)).toList();
            if (found.size() > 1) {
                throw new AssertionError("several samples " + name + wanted);
            }
            return found.isEmpty() ? 0 : (long) found.getFirst().value();
        }

        /** The sum over every sample of {@code name} that has these labels (and any others). */
        long sum(String name, String... labels) {
            return (long) samples.stream().filter(s -> s.name().equals(name)).filter(s -> {
                for (int i = 0; i < labels.length; i += 2) {
                    if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
                        return false;
                    }
                }
                return true;
            }).mapToDouble(Sample::value).sum();
        }
    }
}
