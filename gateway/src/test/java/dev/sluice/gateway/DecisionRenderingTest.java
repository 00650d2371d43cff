package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Pins, byte for byte, how the HTTP edge renders the core's decisions: status, the quota headers, the problem's body
 * (members sorted by name) and the headers a client acts on. The expected strings were recorded from the gateway
 * before the orchestration moved into {@code dev.sluice.gateway.core} and must not change with it.
 */
class DecisionRenderingTest extends TenantApiTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HEADERS = List.of("RateLimit-Policy", "RateLimit", "Retry-After",
            "WWW-Authenticate", "Sluice-Fuel-Used", "Location");

    @Override
    String tenantLimits() {
        return "{\"requests-per-second\": 10, \"burst\": 5, \"max-concurrency\": 2, \"max-fuel-per-call\": 1000000,"
                + " \"fuel-per-day\": 10000000, \"invocations-per-minute\": 2, \"invocations-per-day\": 100,"
                + " \"max-timeout-ms\": 5000}";
    }

    /** Status, the headers above that are present, and the body with the per-run instance path left as is. */
    private static String rendered(TestServer.Reply reply) {
        TreeMap<String, String> headers = new TreeMap<>();
        for (String name : HEADERS) {
            reply.header(name).ifPresent(value -> headers.put(name, value));
        }
        String body = reply.header("Content-Type").orElse("").startsWith("application/problem+json")
                ? sorted(reply.body()) : "";
        return reply.status() + " " + headers + " " + body;
    }

    /** The problem's members by name: their order is not part of the contract (and varies between JVMs). */
    private static String sorted(String json) {
        try {
            return JSON.writeValueAsString(JSON.readValue(json, TreeMap.class));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TestServer.Reply invoke(String function) {
        return server.call(key, "POST", "/v1/functions/" + function + "/invoke", new byte[0], null);
    }

    @Test
    void admittedInvocationsAndTheirQuotaRefusalCarryEveryQuotaChecked() {
        server.deploy(key, "plain", TestModules.load("plain"));
        String first = rendered(invoke("plain"));
        invoke("plain");
        String refused = rendered(invoke("plain"));

        assertEquals("200 {RateLimit=\"rate\";r=3;t=1, \"concurrency\";r=1, \"fuel-day\";r=9000000;t=86400,"
                + " \"invocations-minute\";r=1;t=60, \"invocations-day\";r=99;t=86400,"
                + " RateLimit-Policy=\"rate\";q=5;w=1, \"concurrency\";q=2;qu=\"concurrent-requests\","
                + " \"fuel-day\";q=10000000;w=86400;qu=\"fuel\", \"invocations-minute\";q=2;w=60,"
                + " \"invocations-day\";q=100;w=86400, Sluice-Fuel-Used=270} ", first);
        assertEquals("429 {RateLimit=\"rate\";r=1;t=1, \"concurrency\";r=1, \"fuel-day\";r=8999460;t=86400,"
                + " \"invocations-minute\";r=0;t=60, RateLimit-Policy=\"rate\";q=5;w=1,"
                + " \"concurrency\";q=2;qu=\"concurrent-requests\","
                + " \"fuel-day\";q=10000000;w=86400;qu=\"fuel\", \"invocations-minute\";q=2;w=60,"
                + " Retry-After=60} {\"detail\":\"tenant acme used its 2 invocations (invocations-minute)\","
                + "\"instance\":\"/v1/functions/plain/invoke\",\"quota\":\"invocations-minute\","
                + "\"retry-after\":60,\"status\":429,\"title\":\"Invocation quota exceeded\","
                + "\"type\":\"https://sluice.dev/problems/invocation-quota-exceeded\"}", refused);
    }

    @Test
    void refusalsBeforeAndAfterTheTenantIsKnownAndTheGuestsFailures() {
        String unauthenticated = rendered(server.call("sk_nobody_00", "GET", "/v1/functions", null, null));
        String missing = rendered(invoke("nope"));
        server.advance(Duration.ofSeconds(1));
        String over = rendered(server.call(key, "PUT", "/v1/functions/plain?timeout-ms=5001",
                TestModules.load("plain"), "application/wasm"));
        server.advance(Duration.ofSeconds(1));
        String deployed = rendered(server.deploy(key, "exit", TestModules.load("exit-code")));
        server.advance(Duration.ofSeconds(1));
        String exited = rendered(invoke("exit"));
        server.advance(Duration.ofSeconds(1));
        server.deploy(key, "trap", TestModules.load("trap"));
        server.advance(Duration.ofSeconds(1));
        String trapped = rendered(invoke("trap"));

        assertEquals("401 {WWW-Authenticate=Bearer realm=\"sluice\"} {\"detail\":\"a valid bearer token is required\","
                + "\"instance\":\"/v1/functions\",\"status\":401,"
                + "\"title\":\"Missing or invalid credentials\","
                + "\"type\":\"https://sluice.dev/problems/unauthorized\"}", unauthenticated);
        assertEquals("404 {RateLimit=\"rate\";r=4;t=1,"
                + " RateLimit-Policy=\"rate\";q=5;w=1} {\"detail\":\"no function nope\","
                + "\"instance\":\"/v1/functions/nope/invoke\",\"status\":404,"
                + "\"title\":\"No such resource\",\"type\":\"https://sluice.dev/problems/not-found\"}", missing);
        assertEquals("400 {RateLimit=\"rate\";r=4;t=1,"
                + " RateLimit-Policy=\"rate\";q=5;w=1} {\"detail\":\"timeout-ms: 5001 (expected: <= 5000,"
                + " the tenant's maximum)\",\"instance\":\"/v1/functions/plain\",\"max\":5000,"
                + "\"status\":400,\"title\":\"The request is malformed\","
                + "\"type\":\"https://sluice.dev/problems/invalid-request\"}", over);
        assertEquals("201 {Location=/v1/functions/exit, RateLimit=\"rate\";r=4;t=1,"
                + " RateLimit-Policy=\"rate\";q=5;w=1} ", deployed);
        assertEquals("502 {RateLimit=\"rate\";r=4;t=1, \"concurrency\";r=1, \"fuel-day\";r=9000000;t=86397,"
                + " \"invocations-minute\";r=1;t=60, \"invocations-day\";r=99;t=86397,"
                + " RateLimit-Policy=\"rate\";q=5;w=1, \"concurrency\";q=2;qu=\"concurrent-requests\","
                + " \"fuel-day\";q=10000000;w=86400;qu=\"fuel\", \"invocations-minute\";q=2;w=60,"
                + " \"invocations-day\";q=100;w=86400,"
                + " Sluice-Fuel-Used=316} {\"detail\":\"function exit exited with code 3\",\"exit-code\":3,"
                + "\"fuel-used\":316,\"instance\":\"/v1/functions/exit/invoke\",\"status\":502,"
                + "\"title\":\"The function exited with an error\","
                + "\"type\":\"https://sluice.dev/problems/function-failed\"}", exited);
        assertEquals("502 {RateLimit=\"rate\";r=4;t=1, \"concurrency\";r=1, \"fuel-day\";r=8999684;t=86395,"
                + " \"invocations-minute\";r=0;t=58, \"invocations-day\";r=98;t=86395,"
                + " RateLimit-Policy=\"rate\";q=5;w=1, \"concurrency\";q=2;qu=\"concurrent-requests\","
                + " \"fuel-day\";q=10000000;w=86400;qu=\"fuel\", \"invocations-minute\";q=2;w=60,"
                + " \"invocations-day\";q=100;w=86400,"
                + " Sluice-Fuel-Used=1} {\"detail\":\"Trapped on unreachable instruction\",\"fuel-used\":1,"
                + "\"instance\":\"/v1/functions/trap/invoke\",\"status\":502,"
                + "\"title\":\"The function trapped\","
                + "\"type\":\"https://sluice.dev/problems/function-trapped\"}", trapped);
    }

    @Test
    void tenantOverItsRateIsRefusedWithTheRateAlone() {
        for (int i = 0; i < 5; i++) {
            server.call(key, "GET", "/v1/functions", null, null);
        }
        assertEquals("429 {RateLimit=\"rate\";r=0;t=1, RateLimit-Policy=\"rate\";q=5;w=1,"
                + " Retry-After=1} {\"detail\":\"tenant acme is over its rate quota of 10 requests per second"
                + " (burst 5)\","
                + "\"instance\":\"/v1/functions\",\"retry-after\":1,\"status\":429,"
                + "\"title\":\"Rate quota exceeded\",\"type\":\"https://sluice.dev/problems/rate-limited\"}",
                rendered(server.call(key, "GET", "/v1/functions", null, null)));
    }
}
