package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.testing.TestModules;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice serve} as an operator runs it: the key comes from {@code $SLUICE_SECRETS_KEY}, a malformed one stops
 * the start naming the variable, and a stored secret reaches the guest without ever showing in the process's output.
 */
class SecretsProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VALUE = "hunter2-in-a-process";

    @TempDir
    Path dir;

    @RegisterExtension
    final Processes processes = new Processes();

    private GatewayProcess serve(String name, Map<String, String> environment) {
        return processes.start(GatewayProcess.launch("serve", name, dir.resolve(name), Map.of("port", "0"),
                GatewayProcess.SMALL_JVM, environment));
    }

    private HttpResponse<String> call(GatewayProcess process, String key, String method, String path,
                                      String contentType, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(process.uri(path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return GatewayProcess.send(processes.http, request);
    }

    @Test
    void theKeyFromTheEnvironmentKeepsASecretThatReachesTheGuestAndNeverTheOutput() throws Exception {
        GatewayProcess sluice = serve("serve", Map.of("SLUICE_SECRETS_KEY", FunctionSecretsTest.KEY));
        sluice.awaitPort(Duration.ofSeconds(120));
        assertEquals(201, GatewayProcess.send(processes.http, sluice.admin("/admin/v1/tenants/acme")
                .PUT(HttpRequest.BodyPublishers.ofString("{}"))).statusCode());
        HttpResponse<String> issued = GatewayProcess.send(processes.http, sluice.admin("/admin/v1/tenants/acme/keys")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"ops\"}")));
        String key = JSON.readTree(issued.body()).get("key").asText();
        assertEquals(201, call(sluice, key, "PUT", "/v1/functions/env", "application/wasm",
                TestModules.load("env")).statusCode());
        HttpResponse<String> put = call(sluice, key, "PUT", "/v1/functions/env/secrets/DB_PASSWORD",
                "application/json", ("{\"value\": \"" + VALUE + "\"}").getBytes());
        assertEquals(201, put.statusCode(), put.body());

        HttpResponse<String> invoked = call(sluice, key, "GET", "/v1/functions/env/invoke", null, null);
        assertEquals(200, invoked.statusCode(), invoked.body());
        // One variable per line, in no particular order (the first line has no newline before it).
        assertTrue(invoked.body().lines().anyMatch(("DB_PASSWORD=" + VALUE)::equals), invoked.body());
        assertFalse(sluice.output().contains("hunter2"), sluice.output());
    }

    @Test
    void aMalformedKeyStopsTheStartNamingTheVariableButNotTheKey() {
        GatewayProcess sluice = serve("bad-key", Map.of("SLUICE_SECRETS_KEY", "not-a-key-but-almost"));
        assertTrue(sluice.awaitExit(Duration.ofSeconds(120)), "did not exit");
        assertEquals(1, sluice.exitValue(), sluice.output());
        assertTrue(sluice.errors().contains("sluice: cannot start: SLUICE_SECRETS_KEY: not base64"), sluice.output());
        assertFalse(sluice.output().contains("not-a-key-but-almost"), sluice.output());
    }
}
