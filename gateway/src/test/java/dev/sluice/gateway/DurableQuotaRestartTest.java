package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice serve} as a real process, stopped the way a deploy stops it (SIGTERM) and started again on the same
 * data directory: the day's invocation quota, fuel budget and usage carry on instead of starting afresh.
 */
class DurableQuotaRestartTest {
    static final String ADMIN_TOKEN = GatewayProcess.ADMIN_TOKEN;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    GatewayProcess process;

    @AfterEach
    void stop() {
        if (process != null && process.alive()) {
            process.kill(Duration.ofSeconds(30));
        }
    }

    @Test
    void aRestartedGatewayContinuesTheDaysInvocationQuotaFuelBudgetAndUsage() throws Exception {
        Map<String, String> config = Map.of(
                "port", "0",
                "workers", "2",
                "default-invocations-per-day", "10",
                "default-fuel-per-day", "100000000");
        LocalDate day = LocalDate.now(ZoneOffset.UTC);
        start(config, "first");
        assertEquals(201, send("PUT", "/admin/v1/tenants/acme", ADMIN_TOKEN, "{}").statusCode());
        String key = json(send("POST", "/admin/v1/tenants/acme/keys", ADMIN_TOKEN, "{\"name\":\"ci\"}"))
                .get("key").asText();
        HttpResponse<String> deployed = send("PUT", "/v1/functions/hello?fuel=1000000", key,
                TestModules.load("hello"), "application/wasm");
        assertEquals(201, deployed.statusCode(), deployed.body());
        HttpResponse<String> fourth = null;
        long fuelUsed = 0;
        for (int i = 0; i < 4; i++) {
            fourth = invoke(key);
            fuelUsed += fuel(fourth);
        }
        assertEquals(6, remaining(fourth, "invocations-day"));

        terminate("first");
        start(config, "second");

        HttpResponse<String> fifth = invoke(key);
        assumeTrue(day.equals(LocalDate.now(ZoneOffset.UTC)), "the test ran across UTC midnight");
        assertEquals(5, remaining(fifth, "invocations-day"), "4 used before the restart, 1 now, of 10: "
                + fifth.headers().allValues("RateLimit"));
        assertEquals(remaining(fourth, "fuel-day") - fuel(fourth), remaining(fifth, "fuel-day"),
                "the fuel used before the restart stays used");
        fuelUsed += fuel(fifth);
        JsonNode usage = json(send("GET", "/v1/usage", key, null));
        assertEquals(5, usage.get("total").get("invocations").asLong(), usage.toString());
        assertEquals(fuelUsed, usage.get("total").get("fuel").asLong(), usage.toString());
        for (int i = 0; i < 5; i++) {
            assertEquals(200, invoke(key).statusCode());
        }
        HttpResponse<String> eleventh = invoke(key);
        assertEquals(429, eleventh.statusCode(), eleventh.body());
        assertTrue(eleventh.body().contains("invocation-quota-exceeded"), eleventh.body());
        terminate("second");
    }

    /** A crash (SIGKILL) loses at most what was counted since the last flush, which happens every 5 seconds. */
    @Test
    void aKilledGatewayKeepsWhatItFlushedBeforeTheCrash() throws Exception {
        Map<String, String> config = Map.of(
                "port", "0",
                "workers", "2",
                "default-invocations-per-day", "10");
        LocalDate day = LocalDate.now(ZoneOffset.UTC);
        start(config, "first");
        assertEquals(201, send("PUT", "/admin/v1/tenants/acme", ADMIN_TOKEN, "{}").statusCode());
        String key = json(send("POST", "/admin/v1/tenants/acme/keys", ADMIN_TOKEN, "{\"name\":\"ci\"}"))
                .get("key").asText();
        assertEquals(201, send("PUT", "/v1/functions/hello", key, TestModules.load("hello"), "application/wasm")
                .statusCode());
        for (int i = 0; i < 3; i++) {
            assertEquals(200, invoke(key).statusCode());
        }
        Path state = dir.resolve("data").resolve("day-quotas.json");
        // Real time: the gateway's own flush, every 5 s. Bounded.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!(Files.exists(state) && Files.readString(state).contains("\"used\" : 3"))) {
            assertTrue(System.nanoTime() < deadline, "day counts not flushed within 30 s");
            Thread.sleep(100);
        }

        assertTrue(process.kill(Duration.ofSeconds(60)));
        start(config, "second");

        HttpResponse<String> fourth = invoke(key);
        assumeTrue(day.equals(LocalDate.now(ZoneOffset.UTC)), "the test ran across UTC midnight");
        assertEquals(6, remaining(fourth, "invocations-day"), fourth.headers().allValues("RateLimit").toString());
        terminate("second");
    }

    /** {@code sluice serve} on {@code dir/data}, in a JVM with default options. */
    private void start(Map<String, String> config, String name) {
        process = GatewayProcess.launch(name, dir, config, List.of());
        // Real time: a JVM starting on a loaded machine. Bounded.
        process.awaitPort(Duration.ofSeconds(90));
    }

    /** SIGTERM, as a deploy or {@code systemctl stop} sends, then waits for the exit. */
    private void terminate(String name) {
        assertTrue(process.terminate(Duration.ofSeconds(60)), name + " did not stop on SIGTERM");
        String log = process.output();
        assertFalse(log.contains("cannot write usage"), log);
    }

    private HttpResponse<String> invoke(String key) throws Exception {
        return send("POST", "/v1/functions/hello/invoke", key, "x".getBytes(StandardCharsets.UTF_8), "text/plain");
    }

    private static long fuel(HttpResponse<String> reply) {
        assertEquals(200, reply.statusCode(), reply.body());
        return Long.parseLong(reply.headers().firstValue("Sluice-Fuel-Used").orElseThrow());
    }

    private static long remaining(HttpResponse<String> reply, String policy) {
        String header = String.join(", ", reply.headers().allValues("RateLimit"));
        Matcher m = Pattern.compile("\"" + policy + "\";r=(\\d+)").matcher(header);
        assertTrue(m.find(), "no " + policy + " in RateLimit: " + header + " (" + reply.statusCode() + " "
                + reply.body() + ")");
        return Long.parseLong(m.group(1));
    }

    private HttpResponse<String> send(String method, String path, String token, String json) throws Exception {
        return send(method, path, token, json == null ? null : json.getBytes(StandardCharsets.UTF_8),
                "application/json");
    }

    private HttpResponse<String> send(String method, String path, String token, byte[] body, String type)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(process.uri(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", type).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> reply) throws IOException {
        return JSON.readTree(reply.body());
    }
}
