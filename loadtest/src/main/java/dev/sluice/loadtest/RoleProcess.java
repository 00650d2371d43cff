package dev.sluice.loadtest;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One Sluice process of a benchmark ({@code serve}, {@code gateway} or {@code worker}), started from this tool's own
 * class path as {@code java … dev.sluice.gateway.Main ROLE --config FILE} in its own directory, its output in
 * {@code DIR/log}. The measuring tool runs in another JVM, so the CPU a process used ({@link #cpuSeconds()}) is the
 * role's alone. {@link #launchMain} starts another main class of this tool the same way ({@link BareHello}).
 * {@link #close()} stops it with SIGTERM, then SIGKILL after 20 s.
 */
final class RoleProcess implements AutoCloseable {
    static final String ADMIN_TOKEN = "bench-admin-token";
    static final String WORKER_SECRET = "bench-worker-secret-0123456789abcdef0123456789";

    final String name;
    final int port;
    final Path dir;
    private final Process process;

    private RoleProcess(String name, int port, Path dir, Process process) {
        this.name = name;
        this.port = port;
        this.dir = dir;
        this.process = process;
    }

    /**
     * Small, single-collector JVMs with the quick compiler only, for processes that must start fast on a busy machine
     * and whose speed is not what is measured (as the gateway tests' {@code GatewayProcess.SMALL_JVM}).
     */
    static final List<String> SMALL_JVM = List.of("-Xmx256m", "-Xss4m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");

    /** Starts {@code role} with these settings plus {@code data-dir} in {@code dir}; returns at once. */
    static RoleProcess launch(String name, String role, int port, Path dir, Map<String, String> settings) {
        return launch(name, role, port, dir, settings, List.of("-Xmx512m"));
    }

    /** The same in a JVM started with {@code jvmOptions}. */
    static RoleProcess launch(String name, String role, int port, Path dir, Map<String, String> settings,
                              List<String> jvmOptions) {
        try {
            Files.createDirectories(dir);
            StringBuilder config = new StringBuilder("data-dir = " + dir.resolve("data") + "\n");
            settings.forEach((key, value) -> config.append(key).append(" = ").append(value).append('\n'));
            Path file = Files.writeString(dir.resolve("sluice.conf"), config);
            ProcessBuilder builder = javaProcess(dir, jvmOptions, "dev.sluice.gateway.Main",
                    List.of(role, "--config", file.toString()));
            builder.environment().put("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN);
            builder.environment().put("SLUICE_WORKER_SECRET", WORKER_SECRET);
            builder.environment().remove("SLUICE_CONFIG");
            return new RoleProcess(name, port, dir, builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    /**
     * Starts {@code mainClass} of this tool's class path with {@code args} in {@code dir} (output in {@code DIR/log}),
     * e.g. {@link BareHello}; returns at once.
     */
    static RoleProcess launchMain(String name, String mainClass, List<String> args, int port, Path dir,
                                  List<String> jvmOptions) {
        try {
            Files.createDirectories(dir);
            return new RoleProcess(name, port, dir, javaProcess(dir, jvmOptions, mainClass, args).start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    /**
     * {@code java OPTIONS -cp CLASSPATH MAIN ARGS} in {@code dir}, output to {@code DIR/log}; the options are
     * {@code jvmOptions} followed by those in {@code $SLUICE_BENCH_JVM_OPTS} (split on blanks), e.g. to record JFR.
     */
    private static ProcessBuilder javaProcess(Path dir, List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(jvmOptions);
        command.addAll(benchJvmOptions());
        command.addAll(List.of("-cp", absoluteClassPath(), mainClass));
        command.addAll(args);
        return new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile());
    }

    /** This JVM's class path with every entry absolute, as the process runs in another directory. */
    private static String absoluteClassPath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    /** The options in {@code $SLUICE_BENCH_JVM_OPTS}, none when it is unset or blank. */
    static List<String> benchJvmOptions() {
        String value = System.getenv("SLUICE_BENCH_JVM_OPTS");
        return value == null || value.isBlank() ? List.of() : List.of(value.strip().split("\\s+"));
    }

    /** The stores every process of a benchmark shares: tenancy and quotas on one Redis. */
    static Map<String, String> sharedStores(String redisUri) {
        return Map.of("tenancy-store", "redis", "quota-store", "redis", "redis-uri", redisUri);
    }

    /** A worker on {@code port} that shares {@code stores} (so it fetches modules by digest from Redis). */
    static RoleProcess worker(String name, int port, Path dir, Map<String, String> stores) {
        Map<String, String> settings = new java.util.LinkedHashMap<>(stores);
        settings.putAll(Map.of("worker-id", name, "worker-host", "127.0.0.1", "worker-port", Integer.toString(port)));
        return launch(name, "worker", port, dir, settings);
    }

    /** A gateway on {@code port} dispatching to these workers (a static list) and sharing {@code stores}. */
    static RoleProcess gateway(String name, int port, Path dir, Map<String, String> stores, List<RoleProcess> workers) {
        Map<String, String> settings = new java.util.LinkedHashMap<>(stores);
        settings.putAll(Map.of("port", Integer.toString(port), "worker-discovery", "static", "worker-addresses",
                String.join(",", workers.stream().map(w -> "127.0.0.1:" + w.port).toList())));
        return launch(name, "gateway", port, dir, settings);
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    long pid() {
        return process.pid();
    }

    /** User plus system CPU time of the process so far, in seconds. */
    double cpuSeconds() {
        return ChildProcess.cpuSeconds(process);
    }

    /** Waits until the port accepts connections (a worker) or {@code /health/ready} answers 200 (a gateway). */
    RoleProcess awaitReady(boolean http, Duration timeout) throws InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited (" + process.exitValue() + "); see " + dir.resolve("log")
                        + ":\n" + tail());
            }
            if (http ? ready(client) : listening()) {
                return this;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not ready within " + timeout + ":\n" + tail());
            }
            Thread.sleep(100); // a separate process starts in real time
        }
    }

    private boolean listening() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    private boolean ready(HttpClient client) throws InterruptedException {
        try {
            return client.send(HttpRequest.newBuilder(uri().resolve("/health/ready")).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException notYet) {
            return false;
        }
    }

    String tail() {
        return ChildProcess.tail(dir.resolve("log"));
    }

    @Override
    public void close() {
        ChildProcess.stop(process, 20);
    }
}
