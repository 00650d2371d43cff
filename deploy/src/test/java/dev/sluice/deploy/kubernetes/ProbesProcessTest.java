package dev.sluice.deploy.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.FileConfigSource;
import dev.sluice.tenancy.testing.RedisTestServer;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probes of the rendered Deployments asked of the real Sluice jar, started with the layout's own sluice.conf
 * changed only where a pod and this machine differ (listen addresses, ports, the data directory, Redis's address,
 * and the workers' DNS name): what the kubelet would get. A probe path Sluice does not serve, or a probe on the
 * wrong port, fails here rather than as a pod that never turns ready.
 */
class ProbesProcessTest {
    /** The keys a test may change from the layout's configuration; everything else is what the pod runs with. */
    private static final Set<String> LOCAL_KEYS = Set.of("host", "port", "worker-host", "worker-port",
            "metrics-host", "metrics-port", "data-dir", "redis-uri", "worker-dns-name");
    private static final Duration START = Duration.ofSeconds(120);
    private static final String WORKER_SECRET = "deploy-probes-worker-secret-0123456789";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void theAllInOneServerAnswersEveryProbeOfItsDeploymentAndStopsWithinItsGrace() throws Exception {
        Layout layout = Layout.of("all-in-one");
        Deployment deployment = layout.deployment("sluice");
        Map<String, Integer> ports = Map.of("http", SluiceProcess.freePort(), "metrics", SluiceProcess.freePort());
        Path conf = adapt(layout, deployment, "server", Map.of("host", "127.0.0.1",
                "port", ports.get("http").toString(), "metrics-host", "127.0.0.1",
                "metrics-port", ports.get("metrics").toString()));
        SluiceProcess server = SluiceProcess.start("serve", conf, Map.of());
        try {
            server.awaitServing(START);
            assertProbesAnswer("all-in-one sluice", Layout.sluiceContainer(deployment), ports, server);
            String scrape = get(ports.get("metrics"), "/metrics").body();
            assertTrue(scrape.contains("sluice_worker_queued"),
                    "the metrics port's scrape lacks sluice_worker_queued, an autoscaling series");
        } finally {
            long grace = deployment.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
            long preStop = Layout.sluiceContainer(deployment).getLifecycle().getPreStop().getSleep().getSeconds();
            long started = System.nanoTime();
            boolean exited = server.terminate(Duration.ofSeconds(grace - preStop));
            server.close();
            assertTrue(exited, "serve did not exit within terminationGracePeriodSeconds - preStop = "
                    + (grace - preStop) + " s of SIGTERM (took " + Duration.ofNanos(System.nanoTime() - started)
                    + "):\n" + server.output());
        }
    }

    @Test
    void aDistributedWorkerAndGatewayAnswerEveryProbeOfTheirDeployments() throws Exception {
        Layout distributed = Layout.of("distributed");
        // The dev gateway configuration is the distributed one without Vault (SluiceConfTest checks that), and no
        // Vault runs here: with one configured but away, a gateway rightly stays unready.
        Layout dev = Layout.of("dev");
        Deployment workerPod = distributed.deployment("sluice-worker");
        Deployment gatewayPod = dev.deployment("sluice-gateway");
        assertEquals(probes(Layout.sluiceContainer(distributed.deployment("sluice-gateway"))),
                probes(Layout.sluiceContainer(gatewayPod)), "the dev gateway's probes are the distributed ones");
        Map<String, String> environment = Map.of("SLUICE_WORKER_SECRET", WORKER_SECRET,
                "SLUICE_ADMIN_TOKEN", "deploy-probes-admin-token");
        try (RedisTestServer redis = RedisTestServer.start()) {
            Map<String, Integer> workerPorts = Map.of("internal", SluiceProcess.freePort(),
                    "metrics", SluiceProcess.freePort());
            Path workerConf = adapt(distributed, workerPod, "worker", Map.of("worker-host", "127.0.0.1",
                    "worker-port", workerPorts.get("internal").toString(), "metrics-host", "127.0.0.1",
                    "metrics-port", workerPorts.get("metrics").toString(), "redis-uri", redis.uri()));
            Map<String, Integer> gatewayPorts = Map.of("http", SluiceProcess.freePort(),
                    "metrics", SluiceProcess.freePort());
            Path gatewayConf = adapt(dev, gatewayPod, "gateway", Map.of("host", "127.0.0.1",
                    "port", gatewayPorts.get("http").toString(), "metrics-host", "127.0.0.1",
                    "metrics-port", gatewayPorts.get("metrics").toString(), "redis-uri", redis.uri(),
                    "worker-dns-name", "localhost", "worker-port", workerPorts.get("internal").toString()));
            try (SluiceProcess worker = SluiceProcess.start("worker", workerConf, environment);
                 SluiceProcess gateway = SluiceProcess.start("gateway", gatewayConf, environment)) {
                worker.awaitServing(START);
                gateway.awaitServing(START);
                assertProbesAnswer("dev sluice-gateway", Layout.sluiceContainer(gatewayPod), gatewayPorts, gateway);
                assertProbesAnswer("distributed sluice-worker", Layout.sluiceContainer(workerPod), workerPorts,
                        worker);
            }
        }
    }

    /** The layout's sluice.conf for this pod with only {@link #LOCAL_KEYS} changed, and data-dir under the test's. */
    private Path adapt(Layout layout, Deployment deployment, String name, Map<String, String> local)
            throws IOException {
        Map<String, String> values = new LinkedHashMap<>(FileConfigSource.load(layout.sluiceConfFile(deployment,
                dir.resolve("rendered"))).values());
        Map<String, String> changes = new LinkedHashMap<>(local);
        changes.put("data-dir", dir.resolve(name).resolve("data").toString());
        assertTrue(LOCAL_KEYS.containsAll(changes.keySet()), "only local keys may change: " + changes.keySet());
        values.putAll(changes);
        StringBuilder text = new StringBuilder();
        values.forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
        Path file = Files.createDirectories(dir.resolve(name)).resolve("sluice.conf");
        return Files.writeString(file, text);
    }

    private static List<String> probes(Container container) {
        return Stream.of(container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe())
                .map(p -> p.getHttpGet().getPort().getStrVal() + p.getHttpGet().getPath()).toList();
    }

    /**
     * Asks each httpGet probe on the port its name resolves to here, as the kubelet would: 200 is success. Readiness
     * may say STARTING for a moment, so each probe is retried for up to its startup allowance.
     */
    private void assertProbesAnswer(String where, Container container, Map<String, Integer> ports,
                                    SluiceProcess process) throws InterruptedException {
        for (Probe probe : List.of(container.getStartupProbe(), container.getLivenessProbe(),
                container.getReadinessProbe())) {
            String portName = probe.getHttpGet().getPort().getStrVal();
            Integer port = ports.get(portName);
            assertTrue(port != null, where + ": probe port " + portName + " is not one this role listens on");
            String path = probe.getHttpGet().getPath();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            HttpResponse<String> response = get(port, path);
            while (response.statusCode() != 200 && System.nanoTime() < deadline) {
                Thread.sleep(250);
                response = get(port, path);
            }
            assertEquals(200, response.statusCode(), where + ": GET " + path + " on port " + portName + " answered "
                    + response.statusCode() + " " + response.body() + "\n" + process.output());
        }
    }

    private HttpResponse<String> get(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + path + " on port " + port, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
