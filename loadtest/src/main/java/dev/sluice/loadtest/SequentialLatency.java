package dev.sluice.loadtest;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.Sluice;
import dev.sluice.scheduler.testing.TestModules;
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
 * <p>{@code SequentialLatency [--calls N] [--warmup N] [--url http://127.0.0.1:PORT --admin-token T]}. Without
 * {@code --url} it starts its own Sluice with embedded defaults in a temporary directory and removes it afterwards.
 * Only loopback targets are accepted; the run is bounded by {@code --calls} and stops by itself.
 */
public final class SequentialLatency {
    private static final Pattern KEY = Pattern.compile("\"key\"\\s*:\\s*\"([^\"]+)\"");

    private SequentialLatency() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "calls", "warmup", "url", "admin-token");
        int calls = Integer.parseInt(options.getOrDefault("calls", "10000"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "2000"));
        Optional<String> url = Optional.ofNullable(options.get("url"));
        if (url.isPresent()) {
            String token = Optional.ofNullable(options.get("admin-token"))
                    .orElseThrow(() -> new IllegalArgumentException("--url needs --admin-token"));
            System.out.println(run(URI.create(url.get()), token, calls, warmup).summary());
            return;
        }
        Path dir = Files.createTempDirectory("sluice-latency");
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dir.toString()));
        try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of("latency-admin")).start()) {
            System.out.println(run(URI.create("http://127.0.0.1:" + sluice.port()), "latency-admin", calls, warmup)
                    .summary());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Sets up a tenant and the hello function on {@code base}, then measures {@code calls} sequential invocations. */
    static Percentiles run(URI base, String adminToken, int calls, int warmup) throws IOException, InterruptedException {
        requireLoopback(base);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String tenant = "latency-" + Long.toHexString(System.nanoTime());
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
        HttpRequest invoke = HttpRequest.newBuilder(base.resolve("/v1/functions/hello/invoke?name=bench"))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(30)).GET().build();
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
            http.send(HttpRequest.newBuilder(base.resolve("/admin/v1/tenants/" + tenant))
                    .header("Authorization", "Bearer " + adminToken).DELETE().build(),
                    HttpResponse.BodyHandlers.discarding());
        }
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
