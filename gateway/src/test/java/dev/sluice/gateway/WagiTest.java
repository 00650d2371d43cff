package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
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

    /**
     * SERVER_NAME is the Host header's host, as Helidon's requested URI gives it (requested-URI discovery off): the
     * port dropped, an IPv6 literal kept whole with its brackets. Held the same before the gateway stopped asking
     * Helidon for the whole requested URI on every invocation.
     */
    @Test
    void serverNameIsTheHostHeadersHostWithoutItsPort() {
        assertTrue(rawEnvironment("example.test:1234").contains("SERVER_NAME=example.test"));
        assertTrue(rawEnvironment("example.test").contains("SERVER_NAME=example.test"));
        assertTrue(rawEnvironment("[::1]:8080").contains("SERVER_NAME=[::1]"));
        assertTrue(rawEnvironment("[::1]").contains("SERVER_NAME=[::1]"));
    }

    /** The env function's answer to a request with this Host header, sent as raw HTTP/1.1 (clients set their own). */
    private List<String> rawEnvironment(String host) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.sluice.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET /v1/functions/env/invoke HTTP/1.1\r\nHost: " + host
                    + "\r\nAuthorization: Bearer " + key + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            var in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (head.indexOf("\r\n\r\n") < 0) {
                int b = in.read();
                assertTrue(b >= 0, "the connection ended in the header section: " + head);
                head.append((char) b);
            }
            assertTrue(head.toString().startsWith("HTTP/1.1 200 "), head.toString());
            String length = head.toString().toLowerCase(java.util.Locale.ROOT).lines()
                    .filter(l -> l.startsWith("content-length:")).findFirst().orElseThrow().substring(15).strip();
            String body = new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.ISO_8859_1);
            return Arrays.asList(body.split("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
