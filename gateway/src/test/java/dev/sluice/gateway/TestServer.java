package dev.sluice.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.SluiceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real Sluice on a free loopback port with fake clocks, plus a small HTTP client for tests. The wall clock and the
 * monotonic clock only move when a test advances them, so quota and expiry tests never sleep.
 */
final class TestServer implements AutoCloseable {
    static final String ADMIN_TOKEN = "test-admin-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path dataDir;
    final AtomicReference<Instant> now;
    final AtomicLong nanos;
    final Map<String, String> overrides;
    private final java.util.function.Function<SluiceConfig, Sluice.Builder> role;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Sluice sluice;

    private TestServer(Path dataDir, Map<String, String> overrides, AtomicReference<Instant> now, AtomicLong nanos) {
        this(dataDir, overrides, now, nanos, config -> Sluice.builder().config(config));
    }

    private TestServer(Path dataDir, Map<String, String> overrides, AtomicReference<Instant> now, AtomicLong nanos,
                       java.util.function.Function<SluiceConfig, Sluice.Builder> role) {
        this.role = role;
        this.dataDir = dataDir;
        this.overrides = overrides;
        this.now = now;
        this.nanos = nanos;
        this.sluice = startSluice();
    }

    static TestServer start(Path dataDir) {
        return start(dataDir, Map.of());
    }

    static TestServer start(Path dataDir, Map<String, String> overrides) {
        return new TestServer(dataDir, overrides, new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z")),
                new AtomicLong(1_000_000_000L));
    }

    /** A server in another role ({@code sluice gateway}, say): {@code role} makes its builder from the config. */
    static TestServer start(Path dataDir, Map<String, String> overrides,
                            java.util.function.Function<SluiceConfig, Sluice.Builder> role) {
        return new TestServer(dataDir, overrides, new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z")),
                new AtomicLong(1_000_000_000L), role);
    }

    private Sluice startSluice() {
        Map<String, String> settings = new HashMap<>(Map.of("port", "0", "data-dir", dataDir.toString(),
                "workers", "2", "default-requests-per-second", "1000", "default-burst", "1000"));
        settings.putAll(overrides);
        InstantSource clock = () -> now.get();
        return role.apply(SluiceConfig.defaults().with(settings))
                .clock(clock)
                .nanoTime(nanos::get)
                .adminToken(Optional.of(ADMIN_TOKEN))
                .start();
    }

    /** Stops the process and starts a new one on the same data directory, as a restart would. */
    void restart() {
        sluice.stop();
        sluice = startSluice();
    }

    void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
        now.updateAndGet(t -> t.plus(duration));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + sluice.port() + path);
    }

    Reply admin(String method, String path, String json) {
        return send(request(method, path, json == null ? null : json.getBytes(StandardCharsets.UTF_8),
                "application/json").header("Authorization", "Bearer " + ADMIN_TOKEN));
    }

    Reply call(String key, String method, String path, byte[] body, String contentType) {
        HttpRequest.Builder request = request(method, path, body, contentType);
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return send(request);
    }

    Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<byte[]> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpRequest.Builder request(String method, String path, byte[] body, String contentType) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path));
        if (body == null) {
            return builder.method(method, HttpRequest.BodyPublishers.noBody());
        }
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        return builder.method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    }

    /** Creates a tenant with the given limits JSON and returns a fresh API key for it. */
    String tenantWithKey(String tenant, String limitsJson) {
        Reply created = admin("PUT", "/admin/v1/tenants/" + tenant, limitsJson);
        if (created.status() != 201 && created.status() != 200) {
            throw new AssertionError("tenant not created: " + created);
        }
        Reply key = admin("POST", "/admin/v1/tenants/" + tenant + "/keys", "{\"name\":\"test\"}");
        if (key.status() != 201) {
            throw new AssertionError("key not issued: " + key);
        }
        return key.json().get("key").asText();
    }

    Reply deploy(String key, String name, byte[] module) {
        return call(key, "PUT", "/v1/functions/" + name, module, "application/wasm");
    }

    @Override
    public void close() {
        sluice.stop();
    }

    record Reply(HttpResponse<byte[]> response) {
        int status() {
            return response.statusCode();
        }

        String body() {
            return new String(response.body(), StandardCharsets.UTF_8);
        }

        Optional<String> header(String name) {
            return response.headers().firstValue(name);
        }

        JsonNode json() {
            try {
                return JSON.readTree(response.body());
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body(), e);
            }
        }

        /** The problem's stable type slug, after asserting the body is a problem document. */
        String problemType() {
            String contentType = header("Content-Type").orElse("");
            if (!contentType.startsWith("application/problem+json")) {
                throw new AssertionError("not a problem (" + contentType + "): " + status() + " " + body());
            }
            JsonNode json = json();
            if (json.get("status").asInt() != status() || !json.hasNonNull("title") || !json.hasNonNull("detail")) {
                throw new AssertionError("incomplete problem: " + body());
            }
            return json.get("type").asText().replace("https://sluice.dev/problems/", "");
        }

        @Override
        public String toString() {
            return status() + " " + body();
        }
    }
}
