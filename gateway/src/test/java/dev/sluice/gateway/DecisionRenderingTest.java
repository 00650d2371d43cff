package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.scheduler.testing.TestModules;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Pins, byte for byte, how the HTTP edge renders the core's decisions: status, the quota headers, the problem's body
 * and the headers a client acts on. The expected strings were recorded from the gateway before the orchestration
 * moved into {@code dev.sluice.gateway.core} and must not change with it.
 */
class DecisionRenderingTest extends TenantApiTestBase {
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
                ? reply.body() : "";
        return reply.status() + " " + headers + " " + body;
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

        assertEquals("FIRST", first);
        assertEquals("REFUSED", refused);
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

        assertEquals("UNAUTH", unauthenticated);
        assertEquals("MISSING", missing);
        assertEquals("OVER", over);
        assertEquals("DEPLOYED", deployed);
        assertEquals("EXITED", exited);
        assertEquals("TRAPPED", trapped);
    }

    @Test
    void tenantOverItsRateIsRefusedWithTheRateAlone() {
        for (int i = 0; i < 5; i++) {
            server.call(key, "GET", "/v1/functions", null, null);
        }
        assertEquals("RATE", rendered(server.call(key, "GET", "/v1/functions", null, null)));
    }
}
