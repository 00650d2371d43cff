package dev.sluice.deploy.support;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code kubectl kustomize DIR} as a process: what {@code kubectl apply -k DIR} would send, rendered offline (no
 * cluster, no network). The one runner of the deploy tests; {@link #render} parses the result strictly
 * ({@link StrictKubernetes}), {@link #renderYaml} gives the text. Tests call {@link #assumeKubectl()} first, so a
 * machine without kubectl skips them with a message saying so.
 */
public final class Kustomize {
    /** The kustomize layouts, relative to the deploy module (the working directory of its tests). */
    public static final Path KUBERNETES = Path.of("kubernetes");
    private static final long TIMEOUT_SECONDS = 120;
    private static final Map<Path, String> RENDERED = new ConcurrentHashMap<>();

    private Kustomize() {
    }

    /** The directory of one layout: {@code all-in-one}, {@code distributed}, {@code dev}, ... */
    public static Path layout(String name) {
        Path dir = KUBERNETES.resolve(name);
        if (!Files.isRegularFile(dir.resolve("kustomization.yaml"))) {
            throw new IllegalArgumentException(dir.toAbsolutePath() + " has no kustomization.yaml");
        }
        return dir;
    }

    /** Whether {@code kubectl} runs here. */
    public static boolean available() {
        try {
            Process process = new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
            process.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Skips the calling test, with a message saying why, when kubectl is not installed. */
    public static void assumeKubectl() {
        org.junit.jupiter.api.Assumptions.assumeTrue(available(),
                "kubectl is not on the PATH: the kustomize checks need `kubectl kustomize` (kubectl 1.27 or newer)");
    }

    /** The objects {@code dir} renders to, parsed strictly; fails naming the object and field that do not fit. */
    public static List<HasMetadata> render(Path dir) {
        String yaml = renderYaml(dir);
        try {
            return StrictKubernetes.parse(yaml);
        } catch (IllegalArgumentException e) {
            throw new AssertionError("kubectl kustomize " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The YAML stream {@code kubectl kustomize dir} prints; fails with kubectl's message when it refuses. Rendered
     * once per directory and test run (kubectl takes a second or two each time on a busy machine): the tests render
     * the shipped layouts, which no test changes.
     */
    public static String renderYaml(Path dir) {
        return RENDERED.computeIfAbsent(dir.toAbsolutePath().normalize(), d -> run(dir));
    }

    private static String run(Path dir) {
        try {
            // stderr to a file, stdout read here: no second reader thread, no pipe that can fill up unread.
            Path errors = Files.createTempFile("kustomize", ".err");
            try {
                Process process = new ProcessBuilder("kubectl", "kustomize", dir.toString())
                        .redirectError(errors.toFile()).start();
                String out;
                try (InputStream stdout = process.getInputStream()) {
                    out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
                }
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError("kubectl kustomize " + dir + " did not finish in " + TIMEOUT_SECONDS
                            + " s");
                }
                if (process.exitValue() != 0) {
                    throw new AssertionError("kubectl kustomize " + dir + " failed (exit " + process.exitValue()
                            + "): " + Files.readString(errors).strip());
                }
                return out;
            } finally {
                Files.deleteIfExists(errors);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kubectl kustomize " + dir + " (is kubectl installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while rendering " + dir, e);
        }
    }
}
