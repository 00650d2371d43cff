package dev.sluice.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A gateway as an operator runs it: a separate JVM started with {@code java -cp … dev.sluice.gateway.Main serve
 * --config FILE} in its directory, the admin token from {@code SLUICE_ADMIN_TOKEN}. Its port is read from the line
 * Main prints once it listens; everything it prints (stdout and stderr, in arrival order) goes to {@code gateway.log}
 * beside its configuration, for the test's report, and stays readable as {@link #output()}; stderr alone is
 * {@link #errors()}. The one launcher of the gateway tests that run Sluice as a process, in any role
 * ({@code serve}, {@code gateway}, {@code worker}: see {@link #launch(String, String, Path, Map, List)}).
 */
final class GatewayProcess implements AutoCloseable {
    static final String ADMIN_TOKEN = "process-admin-token";
    /** Small, single-collector JVMs with the quick compiler only: three of them must start on two busy cores. */
    static final List<String> SMALL_JVM = List.of("-Xmx256m", "-Xss4m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");
    private static final Pattern SERVING = Pattern.compile(
            "Sluice (?:worker \\S+ )?is serving on (?:http|h2c)://[^:]+:(\\d+)");

    final String name;
    final Path log;
    private final Process process;
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final List<String> lines = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final Thread stdout;
    private final Thread stderr;

    private GatewayProcess(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
        this.stdout = new Thread(this::readOutput, name + "-output");
        this.stderr = new Thread(this::readErrors, name + "-errors");
        for (Thread reader : List.of(stdout, stderr)) {
            reader.setDaemon(true);
            reader.start();
        }
    }

    /** Starts a {@link #SMALL_JVM} and returns at once; {@link #awaitPort} waits for it to listen. */
    static GatewayProcess launch(String name, Path dir, Map<String, String> settings) {
        return launch(name, dir, settings, SMALL_JVM);
    }

    /**
     * Starts the process with these JVM options and returns at once; {@link #awaitPort} waits for it to listen. The
     * data directory is {@code dir/data} unless the settings name a {@code data-dir}.
     */
    static GatewayProcess launch(String name, Path dir, Map<String, String> settings, List<String> jvmOptions) {
        return launch("serve", name, dir, settings, jvmOptions);
    }

    /**
     * {@code sluice ROLE} ({@code serve}, {@code gateway} or {@code worker}) as a process; for a worker,
     * {@link #port()} is its internal port (set {@code worker-port = 0} to pick a free one).
     */
    static GatewayProcess launch(String role, String name, Path dir, Map<String, String> settings,
                                 List<String> jvmOptions) {
        return launch(role, name, dir, settings, jvmOptions, Map.of());
    }

    /** ... with these variables added to its environment ({@code SLUICE_SECRETS_KEY}, say). */
    static GatewayProcess launch(String role, String name, Path dir, Map<String, String> settings,
                                 List<String> jvmOptions, Map<String, String> environment) {
        try {
            Files.createDirectories(dir);
            StringBuilder config = new StringBuilder();
            settings.forEach((key, value) -> config.append(key).append(" = ").append(value).append('\n'));
            if (!settings.containsKey("data-dir")) {
                config.append("data-dir = ").append(dir.resolve("data")).append('\n');
            }
            Path file = Files.writeString(dir.resolve("sluice.conf"), config);
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                    "dev.sluice.gateway.Main", role, "--config", file.toString()));
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
            builder.environment().put("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN);
            builder.environment().remove("SLUICE_CONFIG");
            builder.environment().putAll(environment);
            return new GatewayProcess(name, dir.resolve("gateway.log"), builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start gateway " + name, e);
        }
    }

    private void readOutput() {
        try {
            read(process.getInputStream(), null);
        } catch (IOException e) {
            port.completeExceptionally(e);
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        port.completeExceptionally(new IllegalStateException(name + " exited before listening (exit code "
                + exitCode() + "):\n" + output()));
    }

    private void readErrors() {
        try {
            read(process.getErrorStream(), errors);
        } catch (IOException e) {
            // The process ended; what it wrote is in the output.
        }
    }

    /** Records each line in the output, the log and {@code also}; completes the port when Main announces it. */
    private void read(java.io.InputStream stream, List<String> also) throws IOException {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (lines) {
                    lines.add(line);
                    if (also != null) {
                        also.add(line);
                    }
                    Files.writeString(log, line + "\n", StandardCharsets.UTF_8,
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                }
                Matcher serving = SERVING.matcher(line);
                if (serving.find()) {
                    port.complete(Integer.parseInt(serving.group(1)));
                }
            }
        }
    }

    /** Waits until the gateway listens; fails with its output if it exits or takes longer than {@code timeout}. */
    int awaitPort(Duration timeout) {
        try {
            return port.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new AssertionError(name + " did not start: " + e.getMessage() + "\n" + output(), e);
        }
    }

    int port() {
        return port.join();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    boolean alive() {
        return process.isAlive();
    }

    String exitCode() {
        return process.isAlive() ? "running" : Integer.toString(process.exitValue());
    }

    long pid() {
        return process.pid();
    }

    /** The exit status; only after {@link #awaitExit} returned true. */
    int exitValue() {
        return process.exitValue();
    }

    /** Everything printed so far, stdout and stderr, one line each. */
    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /** What was printed to stderr so far, one line each. */
    String errors() {
        synchronized (lines) {
            return String.join("\n", errors);
        }
    }

    /**
     * Waits for the process to exit and then for its last lines to be read, so that {@link #output()} and
     * {@link #errors()} are complete.
     *
     * @return whether it exited within {@code timeout}
     */
    boolean awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return false;
            }
            stdout.join(Duration.ofSeconds(10));
            stderr.join(Duration.ofSeconds(10));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGTERM, as a deploy or {@code systemctl stop} sends; whether it exited within {@code timeout}. */
    boolean terminate(Duration timeout) {
        process.destroy();
        return awaitExit(timeout);
    }

    /** SIGKILL, as a crash: no shutdown hook runs; whether it exited within {@code timeout}. */
    boolean kill(Duration timeout) {
        process.destroyForcibly();
        return awaitExit(timeout);
    }

    /** {@code GET /health/ready}: status and body. */
    HttpResponse<String> ready(HttpClient http) {
        return send(http, HttpRequest.newBuilder(uri("/health/ready")).timeout(Duration.ofSeconds(10)));
    }

    /** Polls {@link #ready} until it answers 200; fails the test when the process exits or {@code timeout} passes. */
    void awaitReady(HttpClient http, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> ready;
        while ((ready = ready(http)).statusCode() != 200) {
            org.junit.jupiter.api.Assertions.assertTrue(alive(), name + " exited:\n" + output());
            org.junit.jupiter.api.Assertions.assertTrue(System.nanoTime() < deadline, name + " not ready within "
                    + timeout + ": " + ready.body() + "\n" + output());
            Thread.sleep(100); // the process starts (and connects to Redis) in real time
        }
    }

    /** A request to this process's admin API, with the admin token, as JSON. */
    HttpRequest.Builder admin(String path) {
        return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + ADMIN_TOKEN)
                .header("Content-Type", "application/json");
    }

    /** Sends and reads the answer as text; failures unchecked, so that polling lambdas need not declare them. */
    static HttpResponse<String> send(HttpClient http, HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * For a worker: {@code GET /internal/v1/health} with the worker secret; the body's {@code started} counts the
     * invocations it admitted (each ran there once), {@code running} those running now.
     */
    HttpResponse<String> workerHealth(HttpClient http, String secret) {
        return send(http, HttpRequest.newBuilder(uri("/internal/v1/health"))
                .header("Sluice-Worker-Secret", secret).timeout(Duration.ofSeconds(10)));
    }

    /** Stops the process as an operator would (SIGTERM, graceful), then forcibly if it lingers. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
