package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.ConfigException;
import dev.sluice.gateway.OtlpTestCollector.CollectedSpan;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traces through the production routing, exported over OTLP/HTTP to a real collector on loopback: the span tree of
 * an invocation and of a deploy with their attributes, the trace id on every traced response (problems included),
 * a client's {@code traceparent} trusted or only linked, sampling, tracing off, and a collector that is down or too
 * slow never touching the requests while the exporter's queue stays bounded.
 */
class TracesTest {
    private static final String GREETER = "greeter-fn-7q";
    private static final String BODY = "body-text-that-must-not-leak";
    private static final String CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CLIENT_SPAN = "b7ad6b7169203331";
    private static final String SAMPLED = "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01";

    @TempDir
    Path dataDir;
    private final OtlpTestCollector collector = OtlpTestCollector.start();
    private TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        collector.close();
    }

    private Map<String, String> traced(String traceparent, String ratio) {
        return Map.of("tracing", "on", "trace-sampling-ratio", ratio, "traceparent", traceparent,
                "otlp-endpoint", collector.endpoint());
    }

    private Reply invoke(String key, String name, HttpRequest.Builder extra) {
        return server.send(extra.uri(server.uri("/v1/functions/" + name + "/invoke"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(BODY)));
    }

    private static CollectedSpan only(List<CollectedSpan> spans, String name) {
        List<CollectedSpan> named = spans.stream().filter(s -> s.name().equals(name)).toList();
        assertEquals(1, named.size(), name + " in " + spans);
        return named.get(0);
    }

    private static String traceId(Reply reply) {
        String id = reply.header("Sluice-Trace-Id").orElseThrow(() -> new AssertionError("no trace id: " + reply));
        assertTrue(id.matches("[0-9a-f]{32}"), id);
        assertTrue(reply.header("traceresponse").orElseThrow().startsWith("00-" + id + "-"),
                reply.header("traceresponse").orElseThrow());
        return id;
    }

    /** The sampled bit of the {@code traceresponse} flags (the others, such as "random trace id", vary). */
    private static boolean sampled(Reply reply) {
        String value = reply.header("traceresponse").orElseThrow();
        return (Integer.parseInt(value.substring(value.length() - 2), 16) & 1) == 1;
    }

    @Test
    void anInvocationIsOneTraceWithTheSpanTreeAndItsAttributesAndNothingSecret() {
        server = TestServer.start(dataDir, traced("restart", "1"));
        String key = server.tenantWithKey("acme", "{\"max-concurrency\": 4, \"fuel-per-day\": 1000000000000, "
                + "\"invocations-per-minute\": 100}");
        Reply deployed = server.deploy(key, GREETER, TestModules.load("hello"));
        assertEquals(201, deployed.status(), deployed.toString());
        String digest = deployed.json().get("digest").asText();

        Reply ok = invoke(key, GREETER, HttpRequest.newBuilder());
        assertEquals(200, ok.status(), ok.toString());
        String traceId = traceId(ok);
        assertTrue(sampled(ok), "sampled at ratio 1");

        List<CollectedSpan> trace = collector.awaitTrace(traceId, 9);
        assertEquals(9, trace.size(), trace.toString());
        CollectedSpan root = only(trace, "POST /v1/functions/{name}/invoke");
        assertTrue(root.root(), "a new trace (no client context): " + root);
        assertEquals(2, root.kind(), "SERVER");
        assertEquals("sluice", root.service());
        assertEquals("POST", root.attribute("http.request.method"));
        assertEquals("/v1/functions/{name}/invoke", root.attribute("http.route"));
        assertEquals("200", root.attribute("http.response.status_code"));
        assertEquals("acme", root.attribute("sluice.tenant"));
        assertEquals(GREETER, root.attribute("sluice.function"));
        assertEquals(digest, root.attribute("sluice.module.digest"));
        assertEquals(ok.header("Sluice-Fuel-Used").orElseThrow(), root.attribute("sluice.fuel.used"));
        assertEquals("ok", root.attribute("sluice.outcome"));

        CollectedSpan dispatch = only(trace, "sluice.dispatch");
        for (String child : List.of("sluice.authenticate", "sluice.quota.concurrency", "sluice.quota.fuel",
                "sluice.dispatch")) {
            assertEquals(root.spanId(), only(trace, child).parentSpanId(), child + " is the request's child");
        }
        assertEquals("true", only(trace, "sluice.authenticate").attribute("sluice.authenticated"));
        List<CollectedSpan> counts = trace.stream().filter(s -> s.name().equals("sluice.quota.rate")).toList();
        assertEquals(Set.of("rate", "invocations-minute"),
                counts.stream().map(s -> s.attribute("sluice.quota")).collect(Collectors.toSet()));
        for (CollectedSpan quota : trace.stream().filter(s -> s.name().startsWith("sluice.quota.")).toList()) {
            assertEquals(root.spanId(), quota.parentSpanId(), quota.toString());
            assertEquals("local", quota.attribute("sluice.quota.store"), quota.toString());
            assertEquals("true", quota.attribute("sluice.quota.granted"), quota.toString());
        }
        assertEquals(digest, dispatch.attribute("sluice.module.digest"));
        assertEquals("ok", dispatch.attribute("sluice.outcome"));
        CollectedSpan queue = only(trace, "sluice.queue");
        CollectedSpan run = only(trace, "sluice.run");
        assertEquals(dispatch.spanId(), queue.parentSpanId());
        assertEquals(dispatch.spanId(), run.parentSpanId());
        assertTrue(queue.endNanos() <= run.startNanos() && run.startNanos() <= run.endNanos(),
                "the queue wait, then the run: " + queue + " " + run);

        // The deploy: its own trace, the registry's work as a child of the request.
        // The request's span ends last and spans are exported in the order they end: once it is here, all are.
        String deployTrace = traceId(deployed);
        List<CollectedSpan> deploy = collector.await(spans -> spans.stream().anyMatch(
                s -> s.traceId().equals(deployTrace) && s.root()), Duration.ofSeconds(60)).stream()
                .filter(s -> s.traceId().equals(deployTrace)).toList();
        CollectedSpan put = only(deploy, "PUT /v1/functions/{name}");
        CollectedSpan registry = only(deploy, "sluice.deploy");
        assertEquals(put.spanId(), registry.parentSpanId());
        assertEquals(digest, registry.attribute("sluice.module.digest"));
        assertEquals("true", registry.attribute("sluice.deploy.created"));
        assertEquals(Integer.toString(TestModules.load("hello").length), registry.attribute("sluice.module.bytes"));
        for (String step : List.of("validate", "instrument", "store")) {
            assertEquals(registry.spanId(), only(deploy, "sluice.deploy." + step).parentSpanId(), step);
        }
        // The compile step is a span only when the deploy waited for it: a compile thread may finish first.
        boolean waitedForCompile = deploy.stream().anyMatch(s -> s.name().equals("sluice.deploy.compile"));
        if (waitedForCompile) {
            assertEquals(registry.spanId(), only(deploy, "sluice.deploy.compile").parentSpanId(), "compile");
        }
        assertEquals(waitedForCompile ? 8 : 7, deploy.size(), deploy.toString());
        assertTrue(only(deploy, "sluice.deploy.validate").endNanos()
                <= only(deploy, "sluice.deploy.instrument").startNanos(), "validated, then instrumented");

        // One trace per request: creating the tenant, issuing its key, the deploy, the invocation.
        List<CollectedSpan> all = collector.await(spans -> spans.stream().filter(CollectedSpan::root).count() >= 4,
                Duration.ofSeconds(60));
        List<CollectedSpan> roots = all.stream().filter(CollectedSpan::root).toList();
        assertEquals(4, roots.size(), roots.toString());
        Set<String> traces = roots.stream().map(CollectedSpan::traceId).collect(Collectors.toSet());
        assertEquals(4, traces.size());
        assertTrue(all.stream().allMatch(s -> traces.contains(s.traceId())), "no span outside the requests' traces");
        for (String secret : List.of(key, key.substring(key.lastIndexOf('_') + 1), TestServer.ADMIN_TOKEN, BODY,
                "Bearer")) {
            assertFalse(collector.received(secret), "exported: " + secret);
        }
    }

    @Test
    void quotaChecksAnsweredByRedisSayTheirStore() {
        try (RedisTestServer redis = RedisTestServer.start()) {
            Map<String, String> settings = new HashMap<>(traced("restart", "1"));
            settings.putAll(Map.of("quota-store", "redis", "redis-uri", redis.uri()));
            server = TestServer.start(dataDir, settings);
            String key = server.tenantWithKey("acme", "{\"max-concurrency\": 4, \"fuel-per-day\": 1000000000, "
                    + "\"invocations-per-day\": 100}");
            assertEquals(201, server.deploy(key, GREETER, TestModules.load("hello")).status());
            long scriptsBefore = scriptCalls(redis);
            Reply ok = invoke(key, GREETER, HttpRequest.newBuilder());
            assertEquals(200, ok.status(), ok.toString());
            long scripts = scriptCalls(redis) - scriptsBefore;
            List<CollectedSpan> quotas = collector.awaitTrace(traceId(ok), 9).stream()
                    .filter(s -> s.name().startsWith("sluice.quota.")).toList();
            assertEquals(4, quotas.size(), quotas.toString());
            for (CollectedSpan quota : quotas) {
                assertEquals("redis", quota.attribute("sluice.quota.store"), quota.toString());
            }
            // The label is not only configuration: the checks really ran their scripts in this Redis.
            assertTrue(scripts >= quotas.size(), "script calls in Redis during the invocation: " + scripts);
            server.close();
            server = null;
        }
    }

    /** Calls of EVAL and EVALSHA so far, from Redis's own {@code INFO commandstats}. */
    private static long scriptCalls(RedisTestServer redis) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), redis.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII));
            int length = Integer.parseInt(in.readLine().substring(1));
            char[] body = new char[length];
            for (int read = 0; read < length; ) {
                int n = in.read(body, read, length - read);
                assertTrue(n > 0, "INFO answered in full");
                read += n;
            }
            Matcher calls = Pattern.compile("cmdstat_(eval|evalsha):calls=(\\d+)").matcher(new String(body));
            long total = 0;
            while (calls.find()) {
                total += Long.parseLong(calls.group(2));
            }
            return total;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aMethodOutsideTheStandardSetIsOtherAndNeverExported() {
        server = TestServer.start(dataDir, traced("restart", "1"));
        String key = server.tenantWithKey("acme", "{}");
        Reply odd = server.send(HttpRequest.newBuilder(server.uri("/v1/functions"))
                .header("Authorization", "Bearer " + key)
                .method("SECRET-VERB-7Q", HttpRequest.BodyPublishers.noBody()));
        CollectedSpan span = collector.awaitTrace(traceId(odd), 1).stream().filter(CollectedSpan::root).findFirst()
                .orElseThrow();
        assertEquals("_OTHER", span.attribute("http.request.method"), span.toString());
        assertTrue(span.name().startsWith("_OTHER"), span.toString());
        assertTrue(span.name().length() <= 64, "a bounded name: " + span.name());
        assertFalse(collector.received("SECRET-VERB-7Q"), "the client's method is never exported");
    }

    @Test
    void aRejectedModulesValidateSpanIsAnErrorWithTheClassNameOnly() {
        server = TestServer.start(dataDir, traced("restart", "1"));
        String key = server.tenantWithKey("acme", "{}");
        Reply rejected = server.deploy(key, GREETER, "not a module: body-text-that-must-not-leak".getBytes(
                StandardCharsets.UTF_8));
        assertEquals("module-rejected", rejected.problemType(), rejected.toString());
        List<CollectedSpan> trace = collector.await(all -> all.stream().anyMatch(
                s -> s.name().equals("sluice.deploy.validate") && s.traceId().equals(traceId(rejected))),
                Duration.ofSeconds(60)).stream().filter(s -> s.traceId().equals(traceId(rejected))).toList();
        CollectedSpan validate = only(trace, "sluice.deploy.validate");
        assertTrue(validate.error(), validate.toString());
        assertTrue(validate.statusMessage().matches("[A-Za-z$]+"), "a class name only: " + validate.statusMessage());
        assertTrue(only(trace, "sluice.deploy").error(), "the deploy failed too");
        assertFalse(collector.received(BODY), "the module's bytes are never exported");
    }

    @Test
    void problemResponsesAndRefusalsCarryTheTraceIdAndTheirProblemType() {
        server = TestServer.start(dataDir, traced("restart", "1"));
        String key = server.tenantWithKey("acme", "{}");
        Reply missing = invoke(key, "nothing-here", HttpRequest.newBuilder());
        assertEquals("not-found", missing.problemType());
        Reply anonymous = server.call("sk_unknown_key", "GET", "/v1/functions", null, null);
        assertEquals("unauthorized", anonymous.problemType());
        Reply noRoute = server.call(key, "GET", "/nowhere/" + BODY, null, null);
        assertEquals("not-found", noRoute.problemType());

        CollectedSpan notFound = only(collector.awaitTrace(traceId(missing), 3),
                "POST /v1/functions/{name}/invoke");
        assertEquals("404", notFound.attribute("http.response.status_code"));
        assertEquals("not-found", notFound.attribute("sluice.problem.type"));
        assertEquals("not-found", notFound.attribute("sluice.outcome"));
        assertEquals("nothing-here", notFound.attribute("sluice.function"));
        List<CollectedSpan> refused = collector.awaitTrace(traceId(anonymous), 2);
        assertEquals("unauthorized", refused.stream().filter(CollectedSpan::root).findFirst().orElseThrow()
                .attribute("sluice.problem.type"));
        assertEquals("false", only(refused, "sluice.authenticate").attribute("sluice.authenticated"));
        Reply adminRefused = server.call("not-the-admin-token", "GET", "/admin/v1/plans", null, null);
        assertEquals("unauthorized", adminRefused.problemType());
        CollectedSpan adminAuth = only(collector.awaitTrace(traceId(adminRefused), 2), "sluice.authenticate");
        assertEquals("admin", adminAuth.attribute("sluice.auth.realm"));
        assertEquals("false", adminAuth.attribute("sluice.authenticated"));
        assertEquals("tenant", only(refused, "sluice.authenticate").attribute("sluice.auth.realm"));
        CollectedSpan unrouted = collector.awaitTrace(traceId(noRoute), 1).get(0);
        assertFalse(unrouted.name().contains(BODY), "the raw path is never the span's name: " + unrouted);
        assertFalse(collector.received(BODY), "the raw path is never exported");
    }

    @Test
    void trustContinuesTheClientsTraceWithItsParent() {
        server = TestServer.start(dataDir, traced("trust", "1"));
        String key = server.tenantWithKey("acme", "{}");
        assertEquals(201, server.deploy(key, GREETER, TestModules.load("hello")).status());
        Reply ok = invoke(key, GREETER, HttpRequest.newBuilder().header("traceparent", SAMPLED)
                .header("tracestate", "vendor=opaque"));
        assertEquals(200, ok.status(), ok.toString());
        assertEquals(CLIENT_TRACE, traceId(ok));
        CollectedSpan root = only(collector.awaitTrace(CLIENT_TRACE, 6), "POST /v1/functions/{name}/invoke");
        assertEquals(CLIENT_SPAN, root.parentSpanId(), "the client's span is the parent");
        assertTrue(root.links().isEmpty());
    }

    @Test
    void restartStartsANewTraceThatOnlyLinksTheClientsAndIgnoresItsSamplingDecision() {
        server = TestServer.start(dataDir, traced("restart", "1"));
        String key = server.tenantWithKey("acme", "{}");
        assertEquals(201, server.deploy(key, GREETER, TestModules.load("hello")).status());
        Reply ok = invoke(key, GREETER, HttpRequest.newBuilder()
                .header("traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-00"));
        assertEquals(200, ok.status(), ok.toString());
        String traceId = traceId(ok);
        assertNotEquals(CLIENT_TRACE, traceId);
        CollectedSpan root = only(collector.awaitTrace(traceId, 6), "POST /v1/functions/{name}/invoke");
        assertTrue(root.root(), root.toString());
        assertEquals(List.of(CLIENT_TRACE + "-" + CLIENT_SPAN), root.links(),
                "kept as a link, though the client did not sample it");
        assertTrue(collector.trace(CLIENT_TRACE).isEmpty(), "nothing written into the client's trace");
    }

    @Test
    void atRatioZeroNothingIsExportedEvenWhenTheClientAsksForSampling() {
        server = TestServer.start(dataDir, traced("restart", "0"));
        String key = server.tenantWithKey("acme", "{}");
        assertEquals(201, server.deploy(key, GREETER, TestModules.load("hello")).status());
        Reply ok = invoke(key, GREETER, HttpRequest.newBuilder().header("traceparent", SAMPLED));
        assertEquals(200, ok.status(), ok.toString());
        String traceId = traceId(ok);
        assertFalse(sampled(ok), "not sampled");
        server.close(); // flushes whatever was queued
        server = null;
        assertEquals(List.of(), collector.spans());
        assertEquals(0, collector.traceRequests());
        assertFalse(collector.received(traceId));
    }

    @Test
    void withTracingOffNothingIsExportedAndNoHeaderIsSet() {
        Map<String, String> settings = new HashMap<>(traced("restart", "1"));
        settings.put("tracing", "off");
        server = TestServer.start(dataDir, settings);
        String key = server.tenantWithKey("acme", "{}");
        assertEquals(201, server.deploy(key, GREETER, TestModules.load("hello")).status());
        Reply ok = invoke(key, GREETER, HttpRequest.newBuilder().header("traceparent", SAMPLED));
        assertEquals(200, ok.status(), ok.toString());
        assertTrue(ok.header("Sluice-Trace-Id").isEmpty());
        assertTrue(ok.header("traceresponse").isEmpty());
        assertTrue(invoke(key, "missing", HttpRequest.newBuilder()).header("Sluice-Trace-Id").isEmpty());
        server.close();
        server = null;
        assertEquals(0, collector.traceRequests(), "no span was ever exported");
    }

    @Test
    void otlpMetricsArriveAtTheCollector() {
        Map<String, String> settings = new HashMap<>(Map.of("otlp-endpoint", collector.endpoint(),
                "otlp-metrics-interval-ms", "200"));
        server = TestServer.start(dataDir, settings);
        String key = server.tenantWithKey("acme", "{}");
        assertEquals(201, server.deploy(key, GREETER, TestModules.load("hello")).status());
        assertEquals(200, invoke(key, GREETER, HttpRequest.newBuilder()).status());
        collector.awaitMetric("sluice.invocations");
        assertTrue(collector.metricNames().contains("sluice.deploys"), collector.metricNames().toString());
        assertFalse(collector.received(key));
        assertEquals(0, collector.traceRequests(), "tracing is off by default: metrics only");
    }

    @Test
    void theHeadersFileAuthenticatesTheExportsAndABadLineIsRefusedWithoutItsValue() throws Exception {
        Path headers = Files.writeString(dataDir.resolve("otlp-headers"),
                "# the collector's token\nAuthorization: Bearer collector-token-9q\n");
        Map<String, String> settings = new HashMap<>(traced("restart", "1"));
        settings.put("otlp-headers-file", headers.toString());
        server = TestServer.start(dataDir.resolve("data"), settings);
        Reply listed = server.call(server.tenantWithKey("acme", "{}"), "GET", "/v1/functions", null, null);
        collector.awaitTrace(traceId(listed), 1);
        assertEquals(Set.of("Bearer collector-token-9q"), collector.authorizations());
        server.close();
        server = null;

        Path bad = Files.writeString(dataDir.resolve("bad-headers"), "Authorization Bearer t0k3n\n");
        assertEquals("otlp-headers-file: " + bad + " line 1 (expected: Name: value, the value visible ASCII)",
                refusal(settings, bad));
        // What the JDK's HTTP client would refuse at every export (logging the value) is refused at start.
        Path invisible = Files.writeString(dataDir.resolve("zwsp-headers"),
                "# pasted\nAuthorization: Bearer t0k3n\u200b\n", StandardCharsets.UTF_8);
        String zwsp = refusal(settings, invisible);
        assertTrue(zwsp.startsWith("otlp-headers-file: " + invisible + " line 2 ("), zwsp);
        Path host = Files.writeString(dataDir.resolve("host-headers"), "Host: collector.example\n");
        String restricted = refusal(settings, host);
        assertTrue(restricted.startsWith("otlp-headers-file: " + host + " line 1: Host (expected:"), restricted);
        Path twice = Files.writeString(dataDir.resolve("twice-headers"), "X-Key: t0k3n\nx-key: t0k3n\n");
        String duplicate = refusal(settings, twice);
        assertTrue(duplicate.startsWith("otlp-headers-file: " + twice + " line 2: x-key given twice"), duplicate);
        for (String message : List.of(zwsp, restricted, duplicate)) {
            assertFalse(message.contains("t0k3n") || message.contains("collector.example"), "no value: " + message);
        }
    }

    private String refusal(Map<String, String> settings, Path headers) {
        Map<String, String> with = new HashMap<>(settings);
        with.put("otlp-headers-file", headers.toString());
        return assertThrows(ConfigException.class,
                () -> TestServer.start(dataDir.resolve("other-" + headers.getFileName()), with)).getMessage();
    }

    @Test
    void aCollectorThatIsDownNeitherFailsNorDelaysRequests() throws Exception {
        int closed;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = free.getLocalPort();
        }
        server = TestServer.start(dataDir, Map.of("tracing", "on", "otlp-endpoint", "http://127.0.0.1:" + closed,
                "otlp-metrics-interval-ms", "100", "otlp-timeout-ms", "60000"));
        String key = server.tenantWithKey("acme", "{}");
        assertEquals(201, server.deploy(key, GREETER, TestModules.load("hello")).status());
        for (int i = 0; i < 20; i++) {
            long started = System.nanoTime();
            Reply ok = invoke(key, GREETER, HttpRequest.newBuilder());
            long took = System.nanoTime() - started;
            assertEquals(200, ok.status(), ok.toString());
            traceId(ok);
            // Far below the 60 s export timeout: a request never waits on the exporter.
            assertTrue(took < Duration.ofSeconds(10).toNanos(), "request " + i + " took " + took / 1_000_000 + " ms");
        }
        long stopping = System.nanoTime();
        server.close();
        server = null;
        assertTrue(System.nanoTime() - stopping < Duration.ofSeconds(30).toNanos(),
                "closing does not wait out the export timeout for a refused connection");
    }

    @Test
    void aCollectorTooSlowToAnswerNeverDelaysRequestsAndTheQueueStaysBounded() {
        server = TestServer.start(dataDir, Map.of("tracing", "on", "otlp-endpoint", collector.endpoint(),
                "otlp-timeout-ms", "60000"));
        String key = server.tenantWithKey("acme", "{\"requests-per-second\": 1000000, \"burst\": 1000000}");
        collector.hold();
        int requests = 1500;
        long started = System.nanoTime();
        for (int i = 0; i < requests; i++) {
            Reply listed = server.call(key, "GET", "/v1/functions", null, null);
            assertEquals(200, listed.status(), listed.toString());
        }
        // Each answered while the collector held the first export: well inside the 60 s the exporter waits for it.
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(45).toNanos(), "requests waited on the export");
        // An operator sees that the queue overflowed.
        Reply scraped = server.admin("GET", "/metrics", null);
        Matcher dropped = Pattern.compile("(?m)^sluice_trace_spans_dropped_total(\\{[^}]*})? (\\S+)$")
                .matcher(scraped.body());
        assertTrue(dropped.find(), "the drop counter is scraped: " + scraped.body());
        assertTrue(Double.parseDouble(dropped.group(2)) > 0, "spans dropped: " + dropped.group(2));
        collector.release();
        server.close(); // flushes the whole queue: the stop waits for every batch, not only the first
        server = null;
        // Three spans a request (the request, authentication, the rate quota): more than the queue holds.
        int made = 3 * requests;
        int kept = collector.spans().size();
        assertTrue(kept >= 2048, "the whole queue arrived once the collector answered: " + kept);
        assertTrue(kept <= 2048 + 512 + 16, "at most the queue plus the batch in flight were kept: " + kept);
        assertTrue(kept < made, kept + " of " + made);
    }
}
