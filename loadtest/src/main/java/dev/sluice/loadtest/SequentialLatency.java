package dev.sluice.loadtest;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.Sluice;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;

/**
 * Invocation latency of the {@code hello} function over sequential calls, end to end through HTTP on loopback.
 *
 * <p>{@code SequentialLatency [--calls N] [--warmup N] [--stores local|redis] [--threads N --seconds S]
 * [--url http://127.0.0.1:PORT --admin-token T]}. Without {@code --url} it starts its own Sluice in a temporary
 * directory (with {@code --stores redis}: quotas and tenancy on a Redis server it starts on loopback) and removes
 * it afterwards. With {@code --threads}, a second phase measures the throughput of one hot tenant from that many
 * concurrent clients for {@code --seconds}. Only loopback targets are accepted; every phase is bounded and the
 * tool stops by itself.
 */
public final class SequentialLatency {
    private SequentialLatency() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "calls", "warmup", "url", "admin-token", "stores",
                "threads", "seconds");
        int calls = Integer.parseInt(options.getOrDefault("calls", "10000"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "2000"));
        int threads = Integer.parseInt(options.getOrDefault("threads", "0"));
        int seconds = Math.min(60, Integer.parseInt(options.getOrDefault("seconds", "5")));
        Optional<String> url = Optional.ofNullable(options.get("url"));
        if (url.isPresent()) {
            String token = Optional.ofNullable(options.get("admin-token"))
                    .orElseThrow(() -> new IllegalArgumentException("--url needs --admin-token"));
            report(URI.create(url.get()), token, calls, warmup, threads, seconds);
            return;
        }
        boolean redis = options.getOrDefault("stores", "local").equals("redis");
        Path dir = Files.createTempDirectory("sluice-latency");
        Map<String, String> settings = new java.util.HashMap<>(Map.of("port", "0", "data-dir", dir.toString()));
        RedisTestServer redisServer = redis ? RedisTestServer.start() : null;
        if (redis) {
            settings.putAll(Map.of("quota-store", "redis", "tenancy-store", "redis", "redis-uri", redisServer.uri()));
        }
        SluiceConfig config = SluiceConfig.defaults().with(settings);
        try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of("latency-admin")).start()) {
            System.out.println("stores: " + (redis ? "redis (quotas and tenancy)" : "local"));
            report(URI.create("http://127.0.0.1:" + sluice.port()), "latency-admin", calls, warmup, threads, seconds);
        } finally {
            if (redisServer != null) {
                redisServer.close();
            }
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void report(URI base, String token, int calls, int warmup, int threads, int seconds)
            throws IOException, InterruptedException {
        System.out.println("sequential: " + run(base, token, calls, warmup).summary());
        if (threads > 0) {
            System.out.println(throughput(base, token, threads, seconds));
        }
    }

    /** One hot tenant invoking hello from {@code threads} clients for {@code seconds}: calls per second. */
    static String throughput(URI base, String adminToken, int threads, int seconds)
            throws IOException, InterruptedException {
        requireLoopback(base);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        java.util.concurrent.atomic.LongAdder ok = new java.util.concurrent.atomic.LongAdder();
        try (BenchTenant tenant = BenchTenant.create(http, base, adminToken, "hot");
             var pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
            HttpRequest invoke = invokeHello(base, tenant);
            long deadline = System.nanoTime() + seconds * 1_000_000_000L;
            for (int t = 0; t < threads; t++) {
                pool.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        call(http, invoke);
                        ok.increment();
                    }
                    return null;
                });
            }
        }
        return String.format("throughput: %d threads, %d s: %.0f invocations/s", threads, seconds,
                ok.sum() / (double) seconds);
    }

    /** Sets up a tenant and the hello function on {@code base}, then measures {@code calls} sequential invocations. */
    static Percentiles run(URI base, String adminToken, int calls, int warmup) throws IOException, InterruptedException {
        requireLoopback(base);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (BenchTenant tenant = BenchTenant.create(http, base, adminToken, "latency")) {
            HttpRequest invoke = invokeHello(base, tenant);
            for (int i = 0; i < warmup; i++) {
                call(http, invoke);
            }
            Percentiles latencies = new Percentiles(calls);
            for (int i = 0; i < calls; i++) {
                long started = System.nanoTime();
                call(http, invoke);
                latencies.add(System.nanoTime() - started);
            }
            return latencies;
        }
    }

    /** Deploys hello for {@code tenant}; returns the invocation request. */
    private static HttpRequest invokeHello(URI base, BenchTenant tenant)
            throws IOException, InterruptedException {
        tenant.deploy(base, "hello");
        return HttpRequest.newBuilder(base.resolve("/v1/functions/hello/invoke?name=bench"))
                .header("Authorization", "Bearer " + tenant.key).timeout(Duration.ofSeconds(30)).GET().build();
    }

    private static void call(HttpClient http, HttpRequest invoke) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(invoke, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("invocation failed: " + response.statusCode() + " "
                    + new String(response.body()));
        }
    }

    public static void requireLoopback(URI uri) throws IOException {
        if (!InetAddress.getByName(uri.getHost()).isLoopbackAddress()) {
            throw new IllegalArgumentException(uri + ": load is only ever sent to loopback addresses");
        }
    }
}
