package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.gateway.logs.LogLimits;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenant function logs through the production routing: what an invocation records, who may read it, the query's
 * selection and its bad input, the ring, byte and retention bounds, deletion, and the SSE form with its cap. The
 * server's bounds are small here (5 entries per function, 64 bytes of stderr per entry, 3000 bytes per tenant, one
 * stream per tenant) so each bound is reached in a few calls.
 */
class FunctionLogsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final LogLimits LIMITS = new LogLimits(5, 64, 3000, Duration.ofHours(1), 1, Duration.ofMinutes(10),
            Duration.ofMillis(200));
    private static final String OK = "Content-Type: text/plain\n\nok";

    @TempDir
    Path dataDir;
    TestServer server;
    String key;

    @BeforeEach
    void start() {
        server = TestServer.start(dataDir, Map.of(), config -> Sluice.builder().config(config).logLimits(LIMITS));
        key = server.tenantWithKey("acme", "{}");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private void deploy(String name, String stdout, String stderr) {
        Reply deployed = server.deploy(key, name, PrintingModule.printing(stdout.getBytes(StandardCharsets.UTF_8),
                stderr.getBytes(StandardCharsets.UTF_8)));
        assertEquals(201, deployed.status(), deployed.toString());
    }

    private Reply invoke(String name) {
        Reply reply = server.call(key, "POST", "/v1/functions/" + name + "/invoke", new byte[0], "text/plain");
        assertTrue(reply.header("Sluice-Invocation-Id").isPresent(), "no invocation id: " + reply);
        return reply;
    }

    private Reply logs(String key, String name, String query) {
        return server.call(key, "GET", "/v1/functions/" + name + "/logs" + query, null, null);
    }

    private JsonNode entries(String name, String query) {
        Reply reply = logs(key, name, query);
        assertEquals(200, reply.status(), reply.toString());
        return reply.json().get("entries");
    }

    private static List<String> ids(JsonNode entries) {
        List<String> ids = new ArrayList<>();
        entries.forEach(e -> ids.add(e.get("invocation-id").asText()));
        return ids;
    }

    @Test
    void anInvocationsStderrIsRecordedWithItsIdTimeStatusOutcomeAndFuel() {
        deploy("hello", OK, "warming up\nready\n");
        Reply reply = invoke("hello");
        assertEquals(200, reply.status(), reply.toString());

        JsonNode entries = entries("hello", "");
        assertEquals(1, entries.size(), entries.toString());
        JsonNode entry = entries.get(0);
        assertEquals(reply.header("Sluice-Invocation-Id").orElseThrow(), entry.get("invocation-id").asText());
        assertEquals("2026-01-01T00:00:00Z", entry.get("time").asText());
        assertEquals(200, entry.get("status").asInt());
        assertEquals("completed", entry.get("outcome").asText());
        assertEquals(Long.parseLong(reply.header("Sluice-Fuel-Used").orElseThrow()), entry.get("fuel").asLong());
        assertTrue(entry.get("fuel").asLong() > 0, entry.toString());
        assertTrue(entry.get("duration-ms").asLong() >= 0, entry.toString());
        assertEquals("warming up\nready\n", entry.get("stderr").asText());
        assertFalse(entry.get("truncated").asBoolean());
    }

    @Test
    void aFailedInvocationIsRecordedWithTheStatusAndProblemTheClientGot() {
        deploy("broken", "Status: 99 nope\n\n", "bad status, sorry");
        Reply reply = invoke("broken");
        assertEquals(502, reply.status());
        assertEquals("invalid-function-response", reply.problemType());

        JsonNode entry = entries("broken", "").get(0);
        assertEquals(reply.header("Sluice-Invocation-Id").orElseThrow(), entry.get("invocation-id").asText());
        assertEquals(502, entry.get("status").asInt());
        assertEquals("invalid-function-response", entry.get("outcome").asText());
        assertEquals("bad status, sorry", entry.get("stderr").asText());
    }

    @Test
    void stderrIsCutOnACharacterBoundaryAndMarkedTruncated() {
        // 'x' then two-byte characters: byte 64 is the second half of one, so the cut comes before it.
        deploy("chatty", OK, "x" + "é".repeat(50));
        invoke("chatty");
        JsonNode entry = entries("chatty", "").get(0);
        assertEquals("x" + "é".repeat(31), entry.get("stderr").asText());
        assertTrue(entry.get("truncated").asBoolean());
    }

    @Test
    void onlyTheTenantItselfWithAReadKeyForTheFunctionReadsItsLogs() {
        deploy("hello", OK, "mine");
        invoke("hello");
        String other = server.tenantWithKey("initech", "{}");
        Reply foreign = logs(other, "hello", "");
        assertEquals(404, foreign.status());
        assertEquals("not-found", foreign.problemType());
        Reply anonymous = logs(null, "hello", "");
        assertEquals(401, anonymous.status());
        assertEquals("unauthorized", anonymous.problemType());
        String narrow = server.admin("POST", "/admin/v1/tenants/acme/keys",
                "{\"name\": \"narrow\", \"functions\": [\"other\"]}").json().get("key").asText();
        Reply restricted = logs(narrow, "hello", "");
        assertEquals(403, restricted.status());
        assertEquals("forbidden", restricted.problemType());
        String invoker = server.admin("POST", "/admin/v1/tenants/acme/keys",
                "{\"name\": \"invoker\", \"scopes\": [\"invoke\"]}").json().get("key").asText();
        assertEquals(403, logs(invoker, "hello", "").status());
        assertEquals(404, logs(key, "missing", "").status());
    }

    @Test
    void sinceAndLimitSelectEntriesOldestFirst() {
        deploy("hello", OK, "e");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(invoke("hello").header("Sluice-Invocation-Id").orElseThrow());
            server.advance(Duration.ofSeconds(1));
        }
        assertEquals(ids, ids(entries("hello", "")));
        assertEquals(ids.subList(1, 4), ids(entries("hello", "?since=" + ids.get(0))));
        assertEquals(ids.subList(2, 4), ids(entries("hello", "?since=2026-01-01T00:00:01Z")));
        assertEquals(ids.subList(2, 4), ids(entries("hello", "?since="
                + URLEncoder.encode("2026-01-01T01:00:01+01:00", StandardCharsets.UTF_8))));
        // Without since, limit is a tail; with it, the next page.
        assertEquals(ids.subList(3, 4), ids(entries("hello", "?limit=1")));
        assertEquals(ids.subList(1, 3), ids(entries("hello", "?since=" + ids.get(0) + "&limit=2")));
        assertEquals(List.of(), ids(entries("hello", "?since=" + ids.get(3))));
    }

    @Test
    void absurdSinceLimitOrFollowIsA400NamingTheParameter() {
        deploy("hello", OK, "e");
        for (String query : List.of("?since=yesterday", "?since=2026-13-45T00:00:00Z", "?since=" + "9".repeat(500),
                "?since=")) {
            Reply reply = logs(key, "hello", query);
            assertEquals(400, reply.status(), query);
            assertEquals("invalid-request", reply.problemType());
            assertEquals("since", reply.json().get("parameter").asText(), query);
        }
        for (String query : List.of("?limit=0", "?limit=-1", "?limit=6", "?limit=abc", "?limit=99999999999")) {
            Reply reply = logs(key, "hello", query);
            assertEquals(400, reply.status(), query);
            assertEquals("limit", reply.json().get("parameter").asText(), query);
        }
        assertEquals(400, logs(key, "hello", "?follow=maybe").status());
    }

    @Test
    void aFunctionsRingKeepsItsNewestEntries() {
        deploy("hello", OK, "e");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ids.add(invoke("hello").header("Sluice-Invocation-Id").orElseThrow());
            server.advance(Duration.ofSeconds(1));
        }
        assertEquals(ids.subList(3, 8), ids(entries("hello", "")));
    }

    @Test
    void overItsByteCapATenantLosesItsOldestEntriesWhicheverFunctionTheyBelongTo() {
        // 64 bytes of stderr cost 256 + 128 = 384: 3000 bytes hold 7 entries.
        String stderr = "s".repeat(64);
        deploy("first", OK, stderr);
        deploy("second", OK, stderr);
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            first.add(invoke("first").header("Sluice-Invocation-Id").orElseThrow());
            server.advance(Duration.ofSeconds(1));
        }
        for (int i = 0; i < 5; i++) {
            second.add(invoke("second").header("Sluice-Invocation-Id").orElseThrow());
            server.advance(Duration.ofSeconds(1));
        }
        assertEquals(first.subList(3, 5), ids(entries("first", "")));
        assertEquals(second, ids(entries("second", "")));
        // Another tenant's entries are not touched by acme's.
        String other = server.tenantWithKey("initech", "{}");
        assertEquals(201, server.deploy(other, "first", PrintingModule.printing(OK.getBytes(StandardCharsets.UTF_8),
                stderr.getBytes(StandardCharsets.UTF_8))).status());
        assertEquals(200, server.call(other, "POST", "/v1/functions/first/invoke", new byte[0], "text/plain").status());
        assertEquals(1, server.call(other, "GET", "/v1/functions/first/logs", null, null).json().get("entries").size());
        assertEquals(first.subList(3, 5), ids(entries("first", "")));
    }

    @Test
    void entriesOlderThanTheRetentionAreGone() {
        deploy("hello", OK, "e");
        invoke("hello");
        server.advance(Duration.ofMinutes(59));
        String recent = invoke("hello").header("Sluice-Invocation-Id").orElseThrow();
        server.advance(Duration.ofMinutes(2));
        assertEquals(List.of(recent), ids(entries("hello", "")));
    }

    @Test
    void aDeletedFunctionsEntriesAreGoneAndANewOneUnderItsNameStartsEmpty() {
        deploy("hello", OK, "old");
        invoke("hello");
        assertEquals(204, server.call(key, "DELETE", "/v1/functions/hello", null, null).status());
        assertEquals(404, logs(key, "hello", "").status());
        deploy("hello", OK, "new");
        assertEquals(0, entries("hello", "").size());

        // A tenant deleted and created again under its name sees nothing of the old one's.
        invoke("hello");
        assertEquals(204, server.admin("DELETE", "/admin/v1/tenants/acme", null).status());
        key = server.tenantWithKey("acme", "{}");
        deploy("hello", OK, "newer");
        assertEquals(0, entries("hello", "").size());
    }

    @Test
    void aFollowerReadsTheHeldEntriesThenOneThatArrivesAfterItSubscribed() {
        deploy("hello", OK, "first");
        String before = invoke("hello").header("Sluice-Invocation-Id").orElseThrow();
        HttpClient http = HttpClient.newHttpClient();
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            HttpResponse<Stream<String>> stream = http.send(HttpRequest.newBuilder(server.uri(
                            "/v1/functions/hello/logs?follow=true")).header("Authorization", "Bearer " + key).build(),
                    HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, stream.statusCode());
            assertEquals("text/event-stream", stream.headers().firstValue("Content-Type").orElseThrow());
            try (Stream<String> lines = stream.body()) {
                Iterator<String> it = lines.iterator();
                JsonNode held = nextEntry(it);
                assertEquals(before, held.get("invocation-id").asText());
                assertEquals("first", held.get("stderr").asText());

                String after = invoke("hello").header("Sluice-Invocation-Id").orElseThrow();
                JsonNode arrived = nextEntry(it);
                assertEquals(after, arrived.get("invocation-id").asText());
                assertEquals(200, arrived.get("status").asInt());

                // One stream per tenant here: a second is refused while the first is open.
                Reply second = server.send(server.request("GET", "/v1/functions/hello/logs", null, null)
                        .header("Authorization", "Bearer " + key).header("Accept", "text/event-stream"));
                assertEquals(429, second.status());
                assertEquals("too-many-streams", second.problemType());
            }
            // Closed, its slot is freed once the gateway notices (its next heartbeat fails).
            int status = 0;
            for (int i = 0; i < 100 && status != 200; i++) {
                HttpResponse<Stream<String>> again = http.send(HttpRequest.newBuilder(server.uri(
                                "/v1/functions/hello/logs?follow=true")).header("Authorization", "Bearer " + key)
                        .build(), HttpResponse.BodyHandlers.ofLines());
                status = again.statusCode();
                again.body().close();
                if (status != 200) {
                    Thread.sleep(100); // real time: the gateway's heartbeat is what notices the closed stream
                }
            }
            assertEquals(200, status);
        });
    }

    @Test
    void aStreamEndsAfterItsMaximumDurationAndAReconnectResumesAfterTheLastEventId() {
        deploy("hello", OK, "e");
        String first = invoke("hello").header("Sluice-Invocation-Id").orElseThrow();
        HttpClient http = HttpClient.newHttpClient();
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            HttpResponse<Stream<String>> stream = http.send(HttpRequest.newBuilder(server.uri(
                            "/v1/functions/hello/logs")).header("Authorization", "Bearer " + key)
                    .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines());
            try (Stream<String> lines = stream.body()) {
                Iterator<String> it = lines.iterator();
                assertEquals(first, nextEntry(it).get("invocation-id").asText());
                // The gateway's monotonic clock passes the 10 minutes: the stream ends at its next heartbeat.
                server.advance(Duration.ofMinutes(11));
                while (it.hasNext()) {
                    assertFalse(it.next().startsWith("data: "), "no entry expected");
                }
            }
            String second = invoke("hello").header("Sluice-Invocation-Id").orElseThrow();
            HttpResponse<Stream<String>> resumed = http.send(HttpRequest.newBuilder(server.uri(
                            "/v1/functions/hello/logs?follow=true")).header("Authorization", "Bearer " + key)
                    .header("Last-Event-ID", first).build(), HttpResponse.BodyHandlers.ofLines());
            try (Stream<String> lines = resumed.body()) {
                assertEquals(second, nextEntry(lines.iterator()).get("invocation-id").asText());
            }
        });
    }

    /** The data of the next {@code entry} event, skipping the retry hint, ids and heartbeats. */
    private static JsonNode nextEntry(Iterator<String> lines) throws IOException {
        boolean entry = false;
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.equals("event: entry")) {
                entry = true;
            } else if (entry && line.startsWith("data: ")) {
                return JSON.readTree(line.substring(6));
            }
        }
        throw new AssertionError("stream ended before an entry");
    }
}
