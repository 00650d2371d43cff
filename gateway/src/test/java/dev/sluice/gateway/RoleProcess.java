package dev.sluice.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One process of a distributed set-up, started as an operator starts it: {@code java … dev.sluice.gateway.Main ROLE
 * --config FILE} ({@code gateway} or {@code worker}, or {@code serve}) in its own directory, with the admin token and
 * the worker secret in the environment. Its port is read from the line Main prints once it listens, so port 0 works
 * for both roles. Everything it prints goes to {@code DIR/log} and stays readable as {@link #lines}. The worker's
 * per-invocation trace ({@code invocation started: …}, DEBUG) is switched on through a logging configuration, so
 * what a worker ran can be counted even after a {@code kill -9}: every line was written before it died.
 */
final class RoleProcess implements AutoCloseable {
    static final String ADMIN_TOKEN = GatewayProcess.ADMIN_TOKEN;
    static final String WORKER_SECRET = "role-process-worker-secret-0123456789abcdef";
    static final String STARTED = "invocation started: ";
    private static final Pattern SERVING = Pattern.compile("is serving on [a-z0-9]+://[^ ]+:(\\d+)");

    final String name;
    final Path dir;
    private final Process process;
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final List<String> lines = new ArrayList<>();
    private final Thread stdout;
    private final Thread stderr;

    private RoleProcess(String name, Path dir, Process process) {
        this.name = name;
        this.dir = dir;
        this.process = process;
        this.stdout = reader(process.getInputStream(), "-out");
        this.stderr = reader(process.getErrorStream(), "-err");
    }

    /** Starts {@code role} with these settings ({@code data-dir} defaults to {@code dir/data}); returns at once. */
    static RoleProcess launch(String name, String role, Path dir, Map<String, String> settings) {
        try {
            Files.createDirectories(dir);
            StringBuilder config = new StringBuilder();
            settings.forEach((key, value) -> config.append(key).append(" = ").append(value).append('\n'));
            if (!settings.containsKey("data-dir")) {
                config.append("data-dir = ").append(dir.resolve("data")).append('\n');
            }
            Path file = Files.writeString(dir.resolve("sluice.conf"), config);
            Path logging = Files.writeString(dir.resolve("logging.properties"), """
                    handlers = java.util.logging.ConsoleHandler
                    .level = INFO
                    java.util.logging.ConsoleHandler.level = ALL
                    dev.sluice.gateway.remote.WorkerService.level = FINE
                    """);
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(GatewayProcess.SMALL_JVM);
            command.add("-Djava.util.logging.config.file=" + logging);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.sluice.gateway.Main", role,
                    "--config", file.toString()));
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
            builder.environment().put("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN);
            builder.environment().put("SLUICE_WORKER_SECRET", WORKER_SECRET);
            builder.environment().remove("SLUICE_CONFIG");
            return new RoleProcess(name, dir, builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    private Thread reader(InputStream stream, String suffix) {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    synchronized (lines) {
                        lines.add(line);
                        Files.writeString(dir.resolve("log"), line + "\n", StandardCharsets.UTF_8,
                                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    }
                    Matcher serving = SERVING.matcher(line);
                    if (serving.find()) {
                        port.complete(Integer.parseInt(serving.group(1)));
                    }
                }
            } catch (IOException e) {
                // The process ended; what it wrote is in the lines.
            }
            port.completeExceptionally(new IllegalStateException(name + " exited before listening:\n" + output()));
        }, name + suffix);
        reader.setDaemon(true);
        reader.start();
        return reader;
    }

    /** Waits until it listens; fails with its output if it exits or takes longer than {@code timeout}. */
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

    long pid() {
        return process.pid();
    }

    /** Printed lines that satisfy {@code test}, counted. */
    long count(Predicate<String> test) {
        synchronized (lines) {
            return lines.stream().filter(test).count();
        }
    }

    /** How many guest runs this process's trace shows: one {@value #STARTED} line each. */
    long invocationsStarted() {
        return count(line -> line.contains(STARTED));
    }

    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /** SIGKILL, as a crash: nothing runs on the way out. Returns once it is gone and its output is read. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " survived SIGKILL for 30 s");
        }
        stdout.join(Duration.ofSeconds(10));
        stderr.join(Duration.ofSeconds(10));
    }

    /** SIGTERM, then SIGKILL if it lingers; returns once its output is read. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            stdout.join(Duration.ofSeconds(10));
            stderr.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
