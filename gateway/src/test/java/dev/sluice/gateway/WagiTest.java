package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a function sees of the HTTP request (the WAGI contract), through the real server. */
class WagiTest extends TenantApiTestBase {
    @BeforeEach
    void deployEnv() {
        assertEquals(201, server.deploy(key, "env", TestModules.load("env")).status());
    }

    private List<String> environment(Reply reply) {
        assertEquals(200, reply.status(), reply.toString());
        return Arrays.asList(reply.body().split("\n"));
    }

    @Test
    void functionSeesTheCgiVariablesOfItsRequest() {
        Reply reply = server.send(server.request("PUT", "/v1/functions/env/invoke/a/b?x=1&y=two",
                        "body".getBytes(StandardCharsets.UTF_8), "text/csv")
                .header("Authorization", "Bearer " + key)
                .header("X-Trace-Id", "abc123"));
        List<String> env = environment(reply);
        assertTrue(env.contains("REQUEST_METHOD=PUT"), env.toString());
        assertTrue(env.contains("PATH_INFO=/a/b"), env.toString());
        assertTrue(env.contains("SCRIPT_NAME=/v1/functions/env/invoke"), env.toString());
        assertTrue(env.contains("QUERY_STRING=x=1&y=two"), env.toString());
        assertTrue(env.contains("CONTENT_TYPE=text/csv"), env.toString());
        assertTrue(env.contains("CONTENT_LENGTH=4"), env.toString());
        assertTrue(env.contains("HTTP_X_TRACE_ID=abc123"), env.toString());
        assertTrue(env.contains("argv0=env"), env.toString());
    }

    @Test
    void credentialsNeverReachTheFunction() {
        List<String> env = environment(server.call(key, "GET", "/v1/functions/env/invoke", null, null));
        assertFalse(env.stream().anyMatch(line -> line.startsWith("HTTP_AUTHORIZATION")), env.toString());
        assertFalse(String.join("\n", env).contains(key.substring(3)), "the API key must not leak into the guest");
        assertTrue(env.contains("PATH_INFO=/"), env.toString());
        assertTrue(env.contains("QUERY_STRING="), env.toString());
    }
}
