package dev.sluice.deploy.kubernetes;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
 * The real Sluice jar ({@code gateway/target/sluice.jar}, built by the reactor before this module) started as a
 * process in one role with one configuration file, as the image's entrypoint would: {@code java -jar sluice.jar ROLE
 * --config FILE}. Its output is kept for failure messages; {@link #close} stops it with SIGTERM (then SIGKILL).
 */
final class SluiceProcess implements AutoCloseable {
    static final Path JAR = Path.of("..", "gateway", "target", "sluice.jar");
    /** Small JVMs with the quick compiler only: two or three must start on two busy cores. */
    private static final List<String> SMALL_JVM = List.of("-Xmx256m", "-Xss4m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");
    private static final Pattern SERVING = Pattern.compile(
            "Sluice (?:worker \\S+ )?is serving on (?:http|h2c)://[^:]+:(\\d+)");

    private final String name;
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();

    private SluiceProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        Thread reader = new Thread(this::read, name + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    static SluiceProcess start(String role, Path config, Map<String, String> environment) {
        if (!Files.isRegularFile(JAR)) {
            throw new AssertionError(JAR.toAbsolutePath() + " is missing: build it with the reactor, e.g. "
                    + "./mvnw -pl deploy -am verify (the gateway module's package phase makes it)");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(SMALL_JVM);
        command.addAll(List.of("-jar", JAR.toString(), role, "--config", config.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(key -> key.startsWith("SLUICE_"));
        builder.environment().putAll(environment);
        try {
            return new SluiceProcess(role, builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (lines) {
                    lines.add(line);
                }
                Matcher serving = SERVING.matcher(line);
                if (serving.find()) {
                    port.complete(Integer.parseInt(serving.group(1)));
                }
            }
        } catch (IOException e) {
            // The process ended.
        }
        port.completeExceptionally(new IllegalStateException(name + " exited before serving:\n" + output()));
    }

    /** Waits for the line Main prints once the main (or the worker's internal) port listens. */
    int awaitServing(Duration timeout) {
        try {
            return port.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (Exception e) {
            throw new AssertionError(name + " did not start: " + e.getMessage() + "\n" + output(), e);
        }
    }

    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /** SIGTERM, as the kubelet sends after preStop; true when the process exited within {@code timeout}. */
    boolean terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (!terminate(Duration.ofSeconds(30))) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
