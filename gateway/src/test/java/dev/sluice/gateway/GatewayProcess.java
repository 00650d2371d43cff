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
 * --config FILE}, the admin token from {@code SLUICE_ADMIN_TOKEN}. Its port is read from the line Main prints once it
 * listens; everything it prints goes to {@code gateway.log} beside its configuration, for the test's report.
 */
final class GatewayProcess implements AutoCloseable {
    static final String ADMIN_TOKEN = "process-admin-token";
    private static final Pattern SERVING = Pattern.compile("Sluice is serving on http://[^:]+:(\\d+)");

    final String name;
    final Path log;
    private final Process process;
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final List<String> lines = new ArrayList<>();

    private GatewayProcess(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
        Thread reader = new Thread(this::readOutput, name + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the process and returns at once; {@link #awaitPort} waits for it to listen. */
    static GatewayProcess launch(String name, Path dir, Map<String, String> settings) {
        try {
            Files.createDirectories(dir);
            StringBuilder config = new StringBuilder();
            settings.forEach((key, value) -> config.append(key).append(" = ").append(value).append('\n'));
            config.append("data-dir = ").append(dir.resolve("data")).append('\n');
            Path file = Files.writeString(dir.resolve("sluice.conf"), config);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            // Small, single-collector JVMs with the quick compiler only: three of them must start on two busy cores.
            ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-Xss4m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"),
                    "dev.sluice.gateway.Main", "serve", "--config", file.toString())
                    .redirectErrorStream(true);
            builder.environment().put("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN);
            builder.environment().remove("SLUICE_CONFIG");
            return new GatewayProcess(name, dir.resolve("gateway.log"), builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start gateway " + name, e);
        }
    }

    private void readOutput() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                synchronized (lines) {
                    lines.add(line);
                }
                Files.writeString(log, line + "\n", StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                Matcher serving = SERVING.matcher(line);
                if (serving.find()) {
                    port.complete(Integer.parseInt(serving.group(1)));
                }
            }
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

    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /** {@code GET /health/ready}: status and body. */
    HttpResponse<String> ready(HttpClient http) {
        try {
            return http.send(HttpRequest.newBuilder(uri("/health/ready")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
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
