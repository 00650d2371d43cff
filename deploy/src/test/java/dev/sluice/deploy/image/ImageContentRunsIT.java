package dev.sluice.deploy.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.deploy.support.SluiceProcess;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the image holds runs: its layers unpacked on this machine ({@link ExtractedImage}: the test's JDK for the
 * base's {@code java}, the image's paths moved under a temporary root, the configuration file replaced with free
 * ports and a temporary data directory, as a ConfigMap would replace it), its entrypoint started as a separate
 * process ({@link SluiceProcess}) with only the image's environment. {@code serve} must turn ready and stop cleanly
 * on SIGTERM; a {@code worker} must listen, with its secret from the environment alone, and be ready on its
 * management port, where its probes go. Each step prints how long it took.
 */
class ImageContentRunsIT {
    /** Generous for a JVM start on two busy cores; the process usually is ready in a few seconds. */
    private static final Duration START = Duration.ofSeconds(60);
    /** The image's file sets no shutdown-grace-ms: the default 10 s, then 1 s of quiet, then exit; plus margin. */
    private static final Duration STOP = Duration.ofSeconds(10 + 1 + 15);

    @TempDir
    static Path dir;
    private static ExtractedImage image;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void unpack() {
        image = new ExtractedImage(ImageTarball.read(ImageTarball.built()), dir.resolve("root"));
    }

    @Test
    void serveFromTheImagesLayersTurnsReadyAndStopsCleanlyOnSigterm() throws Exception {
        Path data = Files.createDirectories(dir.resolve("serve-data"));
        int port = SluiceProcess.freePort();
        int metricsPort = SluiceProcess.freePort();
        image.configure(Map.of("port", Integer.toString(port), "data-dir", data.toString(),
                "metrics-port", Integer.toString(metricsPort)), Map.of());
        Map<String, String> before = snapshot(image.root());
        long started = System.nanoTime();
        try (SluiceProcess serve = image.start("serve", image.cmd(), data, Map.of())) {
            assertEquals(port, serve.awaitServing(START), "serve's main port");
            assertEquals("READY", status(serve.awaitOk(port, "/health/ready", START)),
                    "GET /health/ready on serve's main port");
            System.out.printf("image serve: ready in %d ms%n", millisSince(started));
            assertEquals(200, SluiceProcess.get(metricsPort, "/metrics").statusCode(),
                    "GET /metrics on the management port " + metricsPort + "\n" + serve.output());
            assertTrue(Files.exists(data.resolve("admin-token")), "serve wrote no admin-token in its data-dir "
                    + data + " (the image's working directory stand-in)\n" + serve.output());
            assertStopsOnSigterm(serve, "serve");
        }
        assertUnchanged(before, snapshot(image.root()), "serve");
    }

    /**
     * A worker listens on its internal port with its secret from the environment alone, and answers the probes its
     * Deployment sends to the management port: {@code /health} and {@code /health/ready} (200 READY).
     */
    @Test
    void workerFromTheImagesLayersListensAndIsReadyOnItsManagementPort() throws Exception {
        Path data = Files.createDirectories(dir.resolve("worker-data"));
        // Without Redis a worker reads modules from the gateway's <data-dir>/modules (a shared volume): a stand-in.
        Path modules = Files.createDirectories(dir.resolve("gateway-data/modules"));
        int workerPort = SluiceProcess.freePort();
        int metricsPort = SluiceProcess.freePort();
        image.configure(Map.of("port", Integer.toString(SluiceProcess.freePort()), "data-dir", data.toString(),
                "metrics-port", Integer.toString(metricsPort), "worker-port", Integer.toString(workerPort)),
                Map.of("worker-module-dir", modules.toString()));
        Map<String, String> before = snapshot(image.root());
        long started = System.nanoTime();
        try (SluiceProcess worker = image.start("worker", List.of("worker"), data,
                Map.of("SLUICE_WORKER_SECRET", "image-test-worker-secret-0123456789abcdef"))) {
            assertEquals(workerPort, worker.awaitServing(START), "the worker's internal port");
            System.out.printf("image worker: listening in %d ms%n", millisSince(started));
            assertEquals("READY", status(worker.awaitOk(metricsPort, "/health/ready", START)),
                    "GET /health/ready on the worker's management port " + metricsPort + " (its readiness probe)");
            assertEquals(200, SluiceProcess.get(metricsPort, "/health").statusCode(),
                    "GET /health on the worker's management port " + metricsPort + " (its liveness probe)\n"
                            + worker.output());
            System.out.printf("image worker: ready in %d ms%n", millisSince(started));
            assertEquals(200, SluiceProcess.get(metricsPort, "/metrics").statusCode(),
                    "GET /metrics on the worker's management port " + metricsPort + "\n" + worker.output());
            assertFalse(worker.output().contains("image-test-worker-secret"), "the worker printed its secret\n"
                    + worker.output());
            assertStopsOnSigterm(worker, "worker");
        }
        assertUnchanged(before, snapshot(image.root()), "worker");
    }

    /**
     * SIGTERM ends the process within {@link #STOP} with 0, or 143 (128 + SIGTERM): what the JVM returns once its
     * shutdown hooks (Sluice's drain) have run. Anything else (1: a failed start or stop Sluice reported; 134, 137:
     * an abort or a kill) is a failure.
     */
    private static void assertStopsOnSigterm(SluiceProcess process, String role) throws InterruptedException {
        long stopping = System.nanoTime();
        assertTrue(process.terminate(STOP), role + " did not exit within " + STOP + " of SIGTERM\n"
                + process.output());
        int status = process.exitValue();
        System.out.printf("image %s: exited %d in %d ms after SIGTERM%n", role, status, millisSince(stopping));
        assertTrue(status == 0 || status == 128 + 15, role + "'s exit status after SIGTERM: " + status
                + " (expected: 0 or 143)\n" + process.output());
    }

    /**
     * Fails with the paths the process created, changed or removed under the image's root: in Kubernetes the root
     * filesystem is read-only, and only the data-dir and /tmp volumes are writable.
     */
    private static void assertUnchanged(Map<String, String> before, Map<String, String> after, String role) {
        Set<String> changed = new TreeSet<>();
        for (String path : union(before.keySet(), after.keySet())) {
            if (!Objects.equals(before.get(path), after.get(path))) {
                changed.add("/" + path);
            }
        }
        assertTrue(changed.isEmpty(), role + " wrote into the image's files (read-only in Kubernetes: only the "
                + "data-dir and /tmp are volumes): " + changed);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    /** Every path under {@code root} with its size and modification time. */
    private static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.toList()) {
                files.put(root.relativize(path).toString(), Files.size(path) + " " + Files.getLastModifiedTime(path));
            }
        }
        return files;
    }

    /** The {@code status} of a health answer ({@code {"status":"READY",...}}). */
    private static String status(HttpResponse<String> health) throws IOException {
        return JSON.readTree(health.body()).path("status").asText();
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}
