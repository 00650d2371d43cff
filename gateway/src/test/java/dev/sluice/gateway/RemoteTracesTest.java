package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.OtlpTestCollector.CollectedSpan;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.cluster.WorkerDirectory;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway (in this JVM) in front of a worker process ({@code sluice worker}), both tracing to one collector, each
 * exporting from its own process: the call carries the gateway's trace context over the internal protocol, so the
 * worker's spans (its request, dispatch, queue wait and guest run) are children of the gateway's dispatch span in the
 * same trace.
 */
class RemoteTracesTest {
    private static final String SECRET = RemoteDispatchTest.SECRET;
    private static final String BODY = "remote-body-that-must-not-leak";

    @TempDir
    Path dir;

    @RegisterExtension
    final InJvmCluster cluster = new InJvmCluster(() -> dir);
    private final OtlpTestCollector collector = OtlpTestCollector.start();

    @AfterEach
    void stop() {
        collector.close();
    }

    private static CollectedSpan only(List<CollectedSpan> spans, String service, String name) {
        List<CollectedSpan> named = spans.stream().filter(s -> s.service().equals(service) && s.name().equals(name))
                .toList();
        assertEquals(1, named.size(), service + ":" + name + " in " + spans);
        return named.get(0);
    }

    @Test
    void theWorkerProcessSpansAreChildrenOfTheGatewaysDispatchInTheSameTrace() {
        Map<String, String> tracing = Map.of("tracing", "on", "trace-sampling-ratio", "1",
                "otlp-endpoint", collector.endpoint());
        Map<String, String> workerSettings = new java.util.HashMap<>(Map.of("worker-secret", SECRET,
                "worker-port", "0", "worker-id", "traced", "workers", "2",
                "worker-module-dir", dir.resolve("gateway/modules").toString()));
        workerSettings.putAll(tracing);
        GatewayProcess worker = cluster.closeAtEnd(GatewayProcess.launch("worker", "traced", dir.resolve("traced"),
                workerSettings, GatewayProcess.SMALL_JVM));
        worker.awaitPort(Duration.ofSeconds(120));

        Map<String, String> gatewaySettings = new java.util.HashMap<>(tracing);
        gatewaySettings.put("worker-secret", SECRET);
        WorkerDirectory directory = () -> List.of(new WorkerAddress("traced", "127.0.0.1", worker.port(), 2));
        TestServer gateway = cluster.closeAtEnd(TestServer.start(dir.resolve("gateway"), gatewaySettings,
                config -> GatewayRole.builder(config, Map.of(), c -> directory, FixedOrderBalancer::new)));
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());

        Reply ok = gateway.call(key, "POST", "/v1/functions/hello/invoke", BODY.getBytes(), "text/plain");
        assertEquals(200, ok.status(), ok.toString());
        String traceId = ok.header("Sluice-Trace-Id").orElseThrow();

        List<CollectedSpan> trace = collector.awaitTrace(traceId, 10);
        assertEquals(10, trace.size(), trace.toString());
        CollectedSpan request = only(trace, "sluice", "POST /v1/functions/{name}/invoke");
        CollectedSpan dispatch = only(trace, "sluice", "sluice.dispatch");
        assertEquals(request.spanId(), dispatch.parentSpanId());
        // The gateway's pair is the balancer's wait and the round trip: named apart from the worker's queue and run.
        assertEquals(dispatch.spanId(), only(trace, "sluice", "sluice.remote.wait").parentSpanId());
        assertEquals(dispatch.spanId(), only(trace, "sluice", "sluice.remote.call").parentSpanId());

        CollectedSpan remote = only(trace, "sluice-worker", "POST /internal/v1/invoke");
        assertEquals(dispatch.spanId(), remote.parentSpanId(), "continued from the gateway's dispatch span");
        assertEquals(2, remote.kind(), "SERVER");
        CollectedSpan workerDispatch = only(trace, "sluice-worker", "sluice.dispatch");
        assertEquals(remote.spanId(), workerDispatch.parentSpanId());
        assertEquals("ok", workerDispatch.attribute("sluice.outcome"));
        assertEquals(ok.header("Sluice-Fuel-Used").orElseThrow(), workerDispatch.attribute("sluice.fuel.used"));
        assertEquals(workerDispatch.spanId(), only(trace, "sluice-worker", "sluice.queue").parentSpanId());
        assertEquals(workerDispatch.spanId(), only(trace, "sluice-worker", "sluice.run").parentSpanId());
        assertFalse(request.instance().isEmpty(), "service.instance.id says which process: " + request.instance());
        assertFalse(request.instance().equals(remote.instance()), "gateway and worker are different instances");

        for (String secret : List.of(SECRET, key, BODY)) {
            assertFalse(collector.received(secret), "exported: " + secret);
        }
        assertTrue(trace.stream().allMatch(s -> s.traceId().equals(traceId)));
    }

    @Test
    void aTraceparentWithoutTheWorkerSecretIsOnlyLinkedOnTheWorker() throws Exception {
        WorkerRole worker = cluster.worker("linked", Map.of("tracing", "on", "otlp-endpoint", collector.endpoint()));
        String clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
        String clientSpan = "00f067aa0ba902b7";
        java.net.http.HttpResponse<String> refused = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + worker.address().port()
                                + "/internal/v1/invoke"))
                        .header("Sluice-Worker-Secret", "not-the-secret")
                        .header("traceparent", "00-" + clientTrace + "-" + clientSpan + "-01")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(401, refused.statusCode(), refused.body());
        String traceId = refused.headers().firstValue("Sluice-Trace-Id").orElseThrow();
        assertTrue(!traceId.equals(clientTrace), "not continued without the secret");
        CollectedSpan span = collector.awaitTrace(traceId, 1).get(0);
        assertTrue(span.root(), span.toString());
        assertEquals(List.of(clientTrace + "-" + clientSpan), span.links());
        assertEquals("unauthorized", span.attribute("sluice.problem.type"));
        assertFalse(collector.received("not-the-secret"));
    }
}
