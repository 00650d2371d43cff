package dev.sluice.loadtest;

import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tenant with no practical rate limit and one API key, made through the admin API of a gateway, with a test
 * module deployed as a function; {@link #close()} deletes it. Loopback targets only.
 */
final class BenchTenant implements AutoCloseable {
    private static final Pattern KEY = Pattern.compile("\"key\"\\s*:\\s*\"([^\"]+)\"");

    final String name;
    final String key;
    private final HttpClient http;
    private final URI admin;
    private final String adminToken;

    private BenchTenant(String name, String key, HttpClient http, URI admin, String adminToken) {
        this.name = name;
        this.key = key;
        this.http = http;
        this.admin = admin;
        this.adminToken = adminToken;
    }

    static BenchTenant create(HttpClient http, URI base, String adminToken, String prefix)
            throws IOException, InterruptedException {
        return create(http, base, adminToken, prefix, "{\"requests-per-second\": 1000000, \"burst\": 1000000}");
    }

    /** A tenant with the limits {@code limitsJson} (the admin API's tenant body). */
    static BenchTenant create(HttpClient http, URI base, String adminToken, String prefix, String limitsJson)
            throws IOException, InterruptedException {
        SequentialLatency.requireLoopback(base);
        String name = prefix + "-" + Long.toHexString(System.nanoTime());
        ExpectStatus.send(http, HttpRequest.newBuilder(base.resolve("/admin/v1/tenants/" + name))
                .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(limitsJson)),
                201);
        String created = ExpectStatus.send(http, HttpRequest.newBuilder(base.resolve("/admin/v1/tenants/" + name + "/keys"))
                .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"bench\"}")), 201);
        Matcher matcher = KEY.matcher(created);
        if (!matcher.find()) {
            throw new IllegalStateException("no key in " + created);
        }
        return new BenchTenant(name, matcher.group(1), http, base, adminToken);
    }

    /** Deploys the test module {@code module} (e.g. {@code spin}) as function {@code module} through {@code base}. */
    void deploy(URI base, String module) throws IOException, InterruptedException {
        ExpectStatus.send(http, HttpRequest.newBuilder(base.resolve("/v1/functions/" + module))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/wasm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(TestModules.load(module))), 201);
    }

    HttpRequest invoke(URI base, String function) {
        return HttpRequest.newBuilder(base.resolve("/v1/functions/" + function + "/invoke"))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        http.send(HttpRequest.newBuilder(admin.resolve("/admin/v1/tenants/" + name))
                .header("Authorization", "Bearer " + adminToken).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
    }
}
