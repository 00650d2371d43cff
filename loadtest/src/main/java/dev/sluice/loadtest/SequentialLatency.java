package dev.sluice.loadtest;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.Sluice;
import dev.sluice.scheduler.testing.TestModules;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    private static final Pattern KEY = Pattern.compile("\"key\"\\s*:\\s*\"([^\"]+)\"");

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
        String tenant = "hot-" + Long.toHexString(System.nanoTime());
        HttpRequest invoke = setUp(http, base, adminToken, tenant);
        java.util.concurrent.atomic.LongAdder ok = new java.util.concurrent.atomic.LongAdder();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                pool.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        call(http, invoke);
                        ok.increment();
                    }
                    return null;
                });
            }
        } finally {
            deleteTenant(http, base, adminToken, tenant);
        }
        return String.format("throughput: %d threads, %d s: %.0f invocations/s", threads, seconds,
                ok.sum() / (double) seconds);
    }

    /** Sets up a tenant and the hello function on {@code base}, then measures {@code calls} sequential invocations. */
    static Percentiles run(URI base, String adminToken, int calls, int warmup) throws IOException, InterruptedException {
        requireLoopback(base);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String tenant = "latency-" + Long.toHexString(System.nanoTime());
        HttpRequest invoke = setUp(http, base, adminToken, tenant);
        try {
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
        } finally {
            deleteTenant(http, base, adminToken, tenant);
        }
    }

    private static void deleteTenant(HttpClient http, URI base, String adminToken, String tenant)
            throws IOException, InterruptedException {
        http.send(HttpRequest.newBuilder(base.resolve("/admin/v1/tenants/" + tenant))
                        .header("Authorization", "Bearer " + adminToken).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
    }

    /** A tenant with no practical rate limit, a key, and hello deployed; returns the invocation request. */
    private static HttpRequest setUp(HttpClient http, URI base, String adminToken, String tenant)
            throws IOException, InterruptedException {
        expect(http, HttpRequest.newBuilder(base.resolve("/admin/v1/tenants/" + tenant))
                .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(
                        "{\"requests-per-second\": 1000000, \"burst\": 1000000}")), 201);
        String created = expect(http, HttpRequest.newBuilder(base.resolve("/admin/v1/tenants/" + tenant + "/keys"))
                .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"latency\"}")), 201);
        Matcher matcher = KEY.matcher(created);
        if (!matcher.find()) {
            throw new IllegalStateException("no key in " + created);
        }
        String key = matcher.group(1);
        expect(http, HttpRequest.newBuilder(base.resolve("/v1/functions/hello"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/wasm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(TestModules.load("hello"))), 201);
        return HttpRequest.newBuilder(base.resolve("/v1/functions/hello/invoke?name=bench"))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(30)).GET().build();
    }

    private static void call(HttpClient http, HttpRequest invoke) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(invoke, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("invocation failed: " + response.statusCode() + " "
                    + new String(response.body()));
        }
    }

    private static String expect(HttpClient http, HttpRequest.Builder request, int status)
            throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != status) {
            throw new IllegalStateException(request.build().uri() + ": " + response.statusCode() + " "
                    + response.body());
        }
        return response.body();
    }

    static void requireLoopback(URI uri) throws IOException {
        if (!InetAddress.getByName(uri.getHost()).isLoopbackAddress()) {
            throw new IllegalArgumentException(uri + ": load is only ever sent to loopback addresses");
        }
    }
}
