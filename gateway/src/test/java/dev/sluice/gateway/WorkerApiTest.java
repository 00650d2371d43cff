package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientProtocolConfig;
import io.helidon.webclient.http2.Http2ClientResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker's internal port: the shared secret or 401, internal routes only (a tenant route is 404), h2c. */
class WorkerApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = RemoteDispatchTest.SECRET;

    @TempDir
    Path dir;

    private WorkerRole worker;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() {
        worker = WorkerRole.builder().config(SluiceConfig.defaults().with(Map.of("worker-port", "0",
                "data-dir", dir.resolve("w").toString(), "workers", "2",
                "worker-module-dir", dir.resolve("modules").toString())))
                .environment(Map.of("SLUICE_WORKER_SECRET", SECRET)).start();
    }

    @AfterEach
    void stop() {
        worker.stop();
    }

    private HttpResponse<String> send(String method, String path, String secret) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.port() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 0, 0, 2, '{', '}'}));
        if (secret != null) {
            request.header("Sluice-Worker-Secret", secret);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String problemType(HttpResponse<String> response) throws Exception {
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        JsonNode body = JSON.readTree(response.body());
        assertEquals(response.statusCode(), body.get("status").asInt());
        return body.get("type").asText().replace("https://sluice.dev/problems/", "");
    }

    @Test
    void internalCallsWithoutTheSecretOrWithAWrongOneAre401() throws Exception {
        for (String secret : new String[] {null, "", "wrong-secret-0123456789abcdef0123", SECRET + "x"}) {
            for (String[] route : new String[][] {{"POST", "/internal/v1/invoke"}, {"GET", "/internal/v1/health"}}) {
                HttpResponse<String> response = send(route[0], route[1], secret);
                assertEquals(401, response.statusCode(), route[1] + " with " + secret);
                assertEquals("unauthorized", problemType(response));
                assertFalse(response.body().contains(SECRET), "the secret is never echoed");
            }
        }
        assertEquals(0, worker.started(), "nothing was admitted");
    }

    @Test
    void aTenantRouteOnTheWorkerPortIs404EvenWithTheSecret() throws Exception {
        for (String path : new String[] {"/v1/functions/hello/invoke", "/admin/v1/tenants", "/health/ready", "/"}) {
            HttpResponse<String> response = send("POST", path, SECRET);
            assertEquals(404, response.statusCode(), path);
            assertEquals("not-found", problemType(response));
        }
    }

    @Test
    void aMalformedInvocationIsA400ProblemAndRunsNothing() throws Exception {
        HttpResponse<String> response = send("POST", "/internal/v1/invoke", SECRET);
        assertEquals(400, response.statusCode(), response.body());
        assertEquals("invalid-request", problemType(response));
    }

    @Test
    void theWorkerSpeaksHttp2CleartextWithPriorKnowledge() {
        Http2Client client = Http2Client.builder().baseUri("http://127.0.0.1:" + worker.port())
                .shareConnectionCache(false)
                .protocolConfig(Http2ClientProtocolConfig.builder().priorKnowledge(true).build()).build();
        try (Http2ClientResponse response = client.get("/internal/v1/health")
                .header(io.helidon.http.HeaderNames.create("Sluice-Worker-Secret"), SECRET).request()) {
            assertEquals(200, response.status().code());
            assertTrue(response.entity().as(String.class).contains("\"status\":\"up\""));
        } finally {
            client.closeResource();
        }
    }

    @Test
    void aTakenPortFailsTheStartNamingTheKeyAndLeavesNothingBehind() {
        Map<String, String> settings = Map.of("worker-port", Integer.toString(worker.port()),
                "data-dir", dir.resolve("w3").toString(), "workers", "2", "worker-module-dir", dir.toString());
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () ->
                WorkerRole.builder().config(SluiceConfig.defaults().with(settings))
                        .environment(Map.of("SLUICE_WORKER_SECRET", SECRET)).start());
        assertTrue(e.getMessage().startsWith("worker-port: cannot listen"), e.getMessage());
        // The data directory's lock was released: the same directory opens on a free port.
        WorkerRole.builder().config(SluiceConfig.defaults().with(settings).with(Map.of("worker-port", "0")))
                .environment(Map.of("SLUICE_WORKER_SECRET", SECRET)).start().stop();
    }

    @Test
    void aTakenMetricsPortFailsTheStartBeforeTheWorkerIsAdvertised() {
        java.util.List<dev.sluice.scheduler.cluster.WorkerAddress> advertised =
                new java.util.concurrent.CopyOnWriteArrayList<>();
        Map<String, String> settings = Map.of("worker-port", "0", "metrics-port", Integer.toString(worker.port()),
                "data-dir", dir.resolve("w4").toString(), "workers", "2", "worker-module-dir", dir.toString());
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () ->
                WorkerRole.builder().config(SluiceConfig.defaults().with(settings))
                        .environment(Map.of("SLUICE_WORKER_SECRET", SECRET))
                        .registration(address -> {
                            advertised.add(address);
                            return () -> { };
                        }).start());
        // Helidon 4.5.0 starts no listener when one cannot bind, so the message names the worker port.
        assertTrue(e.getMessage().matches("(worker|metrics)-port: cannot listen.*"), e.getMessage());
        assertEquals(java.util.List.of(), advertised, "gateways never heard of a worker that could not start");
    }

    @Test
    void aWorkerWithoutASecretDoesNotStart() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () ->
                WorkerRole.builder().config(SluiceConfig.defaults().with(Map.of("worker-port", "0",
                        "data-dir", dir.resolve("w2").toString(), "worker-module-dir", dir.toString()))).start());
        assertTrue(e.getMessage().startsWith("worker-secret: missing"), e.getMessage());
    }
}
