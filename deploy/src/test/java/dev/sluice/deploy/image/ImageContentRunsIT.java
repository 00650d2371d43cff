package dev.sluice.deploy.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
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
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the image holds runs: its layers unpacked on this machine ({@link ExtractedImage}: the test's JDK for the
 * base's {@code java}, the image's paths moved under a temporary root, the configuration file replaced with free
 * ports and a temporary data directory, as a ConfigMap would replace it), its entrypoint started as a separate
 * process with only the image's environment. {@code serve} must turn ready and stop cleanly on SIGTERM; a
 * {@code worker} must listen, with its secret from the environment alone. Each step prints how long it took.
 */
class ImageContentRunsIT {
    /** Generous for a JVM start on two busy cores; the process usually is ready in a few seconds. */
    private static final Duration START = Duration.ofSeconds(60);
    /** The image's file sets no shutdown-grace-ms: the default 10 s, then 1 s of quiet, then exit; plus margin. */
    private static final Duration STOP = Duration.ofSeconds(10 + 1 + 15);

    @TempDir
    static Path dir;
    private static ExtractedImage image;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @BeforeAll
    static void unpack() {
        image = new ExtractedImage(ImageTarball.read(ImageTarball.built()), dir.resolve("root"));
    }

    @Test
    void serveFromTheImagesLayersTurnsReadyAndStopsCleanlyOnSigterm() throws Exception {
        Path data = Files.createDirectories(dir.resolve("serve-data"));
        int port = freePort();
        int metricsPort = freePort();
        image.configure(Map.of("port", Integer.toString(port), "data-dir", data.toString(),
                "metrics-port", Integer.toString(metricsPort)), Map.of());
        Path log = dir.resolve("serve.log");
        Map<String, String> before = snapshot(image.root());
        long started = System.nanoTime();
        Process serve = image.start(image.cmd(), data, Map.of(), log);
        try {
            awaitTrue(() -> ready(port), serve, log, "GET /health/ready on :" + port + " answering 200 READY");
            System.out.printf("image serve: ready in %d ms%n", millisSince(started));
            assertEquals(200, get(metricsPort, "/metrics").statusCode(),
                    "GET /metrics on the management port " + metricsPort + "\n" + output(log));
            assertTrue(Files.exists(data.resolve("admin-token")), "serve wrote no admin-token in its data-dir "
                    + data + " (the image's working directory stand-in)\n" + output(log));

            long stopping = System.nanoTime();
            serve.destroy(); // SIGTERM
            assertTrue(serve.waitFor(STOP.toSeconds(), TimeUnit.SECONDS),
                    "serve did not exit within " + STOP + " of SIGTERM\n" + output(log));
            System.out.printf("image serve: exited %d in %d ms after SIGTERM%n", serve.exitValue(),
                    millisSince(stopping));
            assertStoppedBySigterm(serve, "serve", log);
            assertUnchanged(before, snapshot(image.root()), "serve");
        } finally {
            serve.destroyForcibly();
        }
    }

    @Test
    void workerFromTheImagesLayersListensWithItsSecretFromTheEnvironment() throws Exception {
        Path data = Files.createDirectories(dir.resolve("worker-data"));
        // Without Redis a worker reads modules from the gateway's <data-dir>/modules (a shared volume): a stand-in.
        Path modules = Files.createDirectories(dir.resolve("gateway-data/modules"));
        int workerPort = freePort();
        int metricsPort = freePort();
        image.configure(Map.of("port", Integer.toString(freePort()), "data-dir", data.toString(),
                "metrics-port", Integer.toString(metricsPort), "worker-port", Integer.toString(workerPort)),
                Map.of("worker-module-dir", modules.toString()));
        Path log = dir.resolve("worker.log");
        Map<String, String> before = snapshot(image.root());
        long started = System.nanoTime();
        Process worker = image.start(List.of("worker"), data,
                Map.of("SLUICE_WORKER_SECRET", "image-test-worker-secret-0123456789abcdef"), log);
        try {
            awaitTrue(() -> listening(workerPort) && output(log).contains("is serving on h2c://"), worker, log,
                    "the worker's internal port " + workerPort);
            System.out.printf("image worker: listening in %d ms%n", millisSince(started));
            assertEquals(200, get(metricsPort, "/metrics").statusCode(),
                    "GET /metrics on the worker's management port " + metricsPort + "\n" + output(log));
            assertFalse(output(log).contains("image-test-worker-secret"), "the worker printed its secret\n"
                    + output(log));

            long stopping = System.nanoTime();
            worker.destroy(); // SIGTERM
            assertTrue(worker.waitFor(STOP.toSeconds(), TimeUnit.SECONDS),
                    "worker did not exit within " + STOP + " of SIGTERM\n" + output(log));
            System.out.printf("image worker: exited %d in %d ms after SIGTERM%n", worker.exitValue(),
                    millisSince(stopping));
            assertStoppedBySigterm(worker, "worker", log);
            assertUnchanged(before, snapshot(image.root()), "worker");
        } finally {
            worker.destroyForcibly();
        }
    }

    /**
     * 0, or 143 (128 + SIGTERM): what the JVM returns once its shutdown hooks (Sluice's drain) have run after
     * SIGTERM. Anything else (1: a failed start or stop Sluice reported; 134, 137: an abort or a kill) is a failure.
     */
    private static void assertStoppedBySigterm(Process process, String role, Path log) {
        int status = process.exitValue();
        assertTrue(status == 0 || status == 128 + 15, role + "'s exit status after SIGTERM: " + status
                + " (expected: 0 or 143)\n" + output(log));
    }

    /** Polls {@code condition} until it holds; fails at once with the log if the process exits, or after START. */
    private static void awaitTrue(BooleanSupplier condition, Process process, Path log, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + START.toNanos();
        while (!condition.getAsBoolean()) {
            if (!process.isAlive()) {
                throw new AssertionError("exited (" + process.exitValue() + ") before " + what + "\n" + output(log));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within " + START + "\n" + output(log));
            }
            // An external process: nothing to wait on but its answers.
            Thread.sleep(100);
        }
    }

    private static boolean ready(int port) {
        try {
            HttpResponse<String> response = get(port, "/health/ready");
            return response.statusCode() == 200 && response.body().contains("READY");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static HttpResponse<String> get(int port, String path) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(2)).build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
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

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String output(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no output)";
        } catch (IOException e) {
            return "(output unreadable: " + e + ")";
        }
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}
