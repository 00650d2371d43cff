package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every kind of bad input gets its documented 4xx problem, and leaves nothing behind. */
class BadInputTest extends TenantApiTestBase {
    @Override
    Map<String, String> settings() {
        return Map.of("max-request-bytes", "1024");
    }

    @Override
    String tenantLimits() {
        return "{\"max-module-bytes\": 65536}";
    }

    private void assertProblem(Reply reply, int status, String type) {
        assertEquals(status, reply.status(), reply.toString());
        assertEquals(type, reply.problemType(), reply.toString());
    }

    private int functionCount() {
        return server.call(key, "GET", "/v1/functions", null, null).json().get("functions").size();
    }

    @Test
    void malformedJsonIs400() {
        assertProblem(server.admin("PUT", "/admin/v1/tenants/x", "{\"burst\": "), 400, "invalid-request");
        assertProblem(server.admin("PUT", "/admin/v1/tenants/x", "[1,2]"), 400, "invalid-request");
        assertProblem(server.admin("PUT", "/admin/v1/tenants/x", "{} {}"), 400, "invalid-request");
    }

    @Test
    void wrongFieldTypesUnknownFieldsAndOutOfRangeValuesAre400() {
        assertProblem(server.admin("PUT", "/admin/v1/tenants/x", "{\"burst\": \"ten\"}"), 400, "invalid-request");
        assertProblem(server.admin("PUT", "/admin/v1/tenants/x", "{\"burst\": 1.5}"), 400, "invalid-request");
        assertProblem(server.admin("PUT", "/admin/v1/tenants/x", "{\"brust\": 1}"), 400, "invalid-request");
        assertProblem(server.admin("PUT", "/admin/v1/tenants/x", "{\"burst\": -1}"), 400, "invalid-request");
        assertProblem(server.admin("POST", "/admin/v1/tenants/acme/keys", "{}"), 400, "invalid-request");
        assertProblem(server.admin("POST", "/admin/v1/tenants/acme/keys", "{\"name\":\"k\",\"expires-at\":\"soon\"}"),
                400, "invalid-request");
        assertEquals(404, server.admin("GET", "/admin/v1/tenants/x", null).status(), "nothing was created");
    }

    @Test
    void jsonBodyWithAnotherContentTypeIs415() {
        Reply reply = server.send(server.request("PUT", "/admin/v1/tenants/x", "{}".getBytes(), "text/plain")
                .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN));
        assertProblem(reply, 415, "unsupported-media-type");
    }

    @Test
    void deployWithoutWasmContentTypeIs415() {
        assertProblem(server.call(key, "PUT", "/v1/functions/f", TestModules.load("hello"), "application/json"),
                415, "unsupported-media-type");
        assertEquals(0, functionCount());
    }

    @Test
    void oversizeInvocationBodyIs413() {
        server.deploy(key, "echo", TestModules.load("echo"));
        Reply reply = server.call(key, "POST", "/v1/functions/echo/invoke", new byte[2048], "text/plain");
        assertProblem(reply, 413, "payload-too-large");
        assertEquals(1024, reply.json().get("max-bytes").asLong());
    }

    @Test
    void moduleOverTheTenantsSizeCapIs422AndNotStored() {
        byte[] big = Arrays.copyOf(TestModules.load("hello"), 70_000);
        Reply reply = server.deploy(key, "big", big);
        assertProblem(reply, 422, "module-rejected");
        assertEquals("too-large", reply.json().get("reason").asText());
        assertEquals(0, functionCount());
    }

    @Test
    void garbageBytesAre422Malformed() {
        Reply reply = server.deploy(key, "junk", "definitely not wasm".getBytes(StandardCharsets.UTF_8));
        assertProblem(reply, 422, "module-rejected");
        assertEquals("malformed", reply.json().get("reason").asText());
        assertEquals(0, functionCount());
    }

    @Test
    void truncatedModuleIs422() {
        byte[] module = TestModules.load("hello");
        assertProblem(server.deploy(key, "cut", Arrays.copyOf(module, module.length / 2)), 422, "module-rejected");
        assertEquals(0, functionCount());
    }

    @Test
    void importsOutsideWasiAre422ForbiddenImport() {
        Reply reply = server.deploy(key, "bad", TestModules.load("bad-import"));
        assertProblem(reply, 422, "module-rejected");
        assertEquals("forbidden-import", reply.json().get("reason").asText());
        assertProblem(server.deploy(key, "bad2", TestModules.load("unknown-wasi")), 422, "module-rejected");
        assertEquals(0, functionCount());
    }

    @Test
    void limitsAboveTheTenantsMaximumAre400() {
        assertProblem(server.call(key, "PUT", "/v1/functions/f?memory-pages=999999", TestModules.load("hello"),
                "application/wasm"), 400, "invalid-request");
        assertProblem(server.call(key, "PUT", "/v1/functions/f?timeout-ms=abc", TestModules.load("hello"),
                "application/wasm"), 400, "invalid-request");
        assertEquals(0, functionCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Hello", "-x", "a_b", "%2e%2e", "x%00y",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void functionNamesOutsideTheAllowedPatternAre400(String name) {
        Reply reply = server.deploy(key, name, TestModules.load("hello"));
        assertEquals(400, reply.status(), name + ": " + reply);
        assertEquals(0, functionCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Acme", "a%2f..", "..", "-"})
    void tenantNamesOutsideTheAllowedPatternAre4xxProblems(String name) {
        Reply reply = server.admin("PUT", "/admin/v1/tenants/" + name, "{}");
        assertEquals(4, reply.status() / 100, name + ": " + reply);
        reply.problemType();
    }

    @Test
    void pathTraversalNeverEscapesTheTenantApi() {
        for (String path : new String[] {"/v1/functions/../../admin/v1/tenants", "/v1/functions/..%2fadmin",
                "/v1/functions/%2e%2e%2f%2e%2e%2fadmin%2fv1%2ftenants"}) {
            Reply reply = server.call(key, "GET", path, null, null);
            assertEquals(4, reply.status() / 100, path + ": " + reply);
            reply.problemType();
        }
        Reply deploy = server.deploy(key, "..%2f..%2fescape", TestModules.load("hello"));
        assertEquals(4, deploy.status() / 100, deploy.toString());
        assertEquals(0, functionCount());
    }

    @Test
    void missingAuthIs401Problem() {
        assertProblem(server.call(null, "PUT", "/v1/functions/f", TestModules.load("hello"), "application/wasm"),
                401, "unauthorized");
    }

    @Test
    void unknownRouteIs404Problem() {
        assertProblem(server.call(null, "GET", "/nope", null, null), 404, "not-found");
        assertProblem(server.call(key, "GET", "/v1/nope", null, null), 404, "not-found");
    }
}
