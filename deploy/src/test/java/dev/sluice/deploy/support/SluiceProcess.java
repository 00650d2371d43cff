package dev.sluice.deploy.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sluice started as a separate process, the one launcher of the deploy tests: from the reactor's jar
 * ({@link #jar}: {@code java -jar gateway/target/sluice.jar ROLE --config FILE}, as a Deployment's container runs it)
 * or from any command ({@link #start}: the image's entrypoint unpacked on this machine). What it prints (stdout and
 * stderr merged, in order) is kept for failure messages; {@link #awaitServing} waits for the line {@code Main} prints
 * once its port listens, {@link #awaitOk} for an HTTP probe to answer 200; {@link #terminate} sends SIGTERM as the
 * kubelet does, {@link #close} SIGTERM then SIGKILL.
 *
 * <p>Threading: one daemon thread per process reads its output; every method may be called from the test's thread.
 */
public final class SluiceProcess implements AutoCloseable {
    /** The runnable jar the gateway module's package phase makes (the reactor builds it before this module). */
    public static final Path JAR = Path.of("..", "gateway", "target", "sluice.jar");
    /** Small JVMs with the quick compiler only: two or three must start on two busy cores. */
    public static final List<String> SMALL_JVM = List.of("-Xmx256m", "-Xss4m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");
    private static final Pattern SERVING = Pattern.compile(
            "Sluice (?:worker \\S+ )?is serving on (?:http|h2c)://[^:]+:(\\d+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Process process;
    private final Thread reader;
    private final List<String> lines = new ArrayList<>();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();

    private SluiceProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.reader = new Thread(this::read, name + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * {@code java SMALL_JVM -jar sluice.jar ROLE --config FILE}, with this JVM's environment but its {@code SLUICE_*}
     * variables replaced by {@code environment} (a pod gets its secrets from the Secret, nothing else).
     */
    public static SluiceProcess jar(String role, Path config, Map<String, String> environment) {
        if (!Files.isRegularFile(JAR)) {
            throw new AssertionError(JAR.toAbsolutePath() + " is missing: build it with the reactor, e.g. "
                    + "./mvnw -pl deploy -am verify (the gateway module's package phase makes it)");
        }
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(SMALL_JVM);
        command.addAll(List.of("-jar", JAR.toString(), role, "--config", config.toString()));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.keySet().removeIf(key -> key.startsWith("SLUICE_"));
        env.putAll(environment);
        return start(role, command, Path.of("").toAbsolutePath(), env);
    }

    /** Starts {@code command} in {@code workingDir} with exactly {@code environment} (nothing inherited). */
    public static SluiceProcess start(String name, List<String> command, Path workingDir,
                                      Map<String, String> environment) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDir.toFile()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(environment);
        try {
            return new SluiceProcess(name, builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    /** The {@code java} of the JDK running the tests. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A port free on the loopback interface now (another process may take it before Sluice does: rare). */
    public static int freePort() {
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

    /** Waits for the line Main prints once the main (or the worker's internal) port listens; that port. */
    public int awaitServing(Duration timeout) {
        try {
            return port.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (Exception e) {
            throw new AssertionError(name + " did not start: " + e.getMessage() + "\n" + output(), e);
        }
    }

    /**
     * Asks {@code GET path} on {@code 127.0.0.1:port} until it answers 200, as a kubelet's httpGet probe does, and
     * returns that answer; fails with the last answer and the output when the process exits or {@code timeout} ends.
     */
    public HttpResponse<String> awaitOk(int port, String path, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String last;
            try {
                HttpResponse<String> response = get(port, path);
                if (response.statusCode() == 200) {
                    return response;
                }
                last = response.statusCode() + " " + response.body();
            } catch (IOException e) {
                last = e.toString();
            }
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited (" + process.exitValue() + ") before GET " + path + " on "
                        + port + " answered 200 (last: " + last + ")\n" + output());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + ": GET " + path + " on " + port + " did not answer 200 within "
                        + timeout + " (last: " + last + ")\n" + output());
            }
            Thread.sleep(200); // a separate process: nothing to wait on but its answers
        }
    }

    /** {@code GET http://127.0.0.1:port/path}. */
    public static HttpResponse<String> get(int port, String path) throws IOException {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)));
    }

    /**
     * Sends with a 30 s timeout (a deploy compiles the module on a busy machine) and reads the answer as text; a
     * test that means "at once" measures and says so.
     */
    public static HttpResponse<String> send(HttpRequest.Builder request) throws IOException {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Everything printed so far, one line each. */
    public String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** The exit status; only once the process has exited. */
    public int exitValue() {
        return process.exitValue();
    }

    /**
     * SIGTERM, as the kubelet sends after preStop; true when the process exited within {@code timeout} (its last
     * lines then read, so {@link #output} is complete).
     */
    public boolean terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return false;
        }
        reader.join(Duration.ofSeconds(10));
        return true;
    }

    /** SIGTERM, then SIGKILL if it is still running 30 s later. */
    @Override
    public void close() throws InterruptedException {
        if (!terminate(Duration.ofSeconds(30))) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
