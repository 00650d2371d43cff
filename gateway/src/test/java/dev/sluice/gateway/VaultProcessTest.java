package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.testing.VaultTestServer;
import dev.sluice.tenancy.auth.KeyFormat;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice serve --config FILE} as a process, configured with {@code vault-address} in the file and the token in
 * {@code $VAULT_TOKEN}, as an operator runs it: Vault's tenants and keys serve, the watched file applies a live key
 * on refresh, and the token never reaches the process's output.
 */
class VaultProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void aProcessConfiguredFromItsFileAndEnvironmentServesVaultsTenantsAndReloadsItsFile() throws Exception {
        try (VaultTestServer vault = VaultTestServer.start(InstantSource.system())) {
            String token = vault.issueToken(Duration.ZERO);
            String id = "0123456789abcdef";
            String secret = KeyFormat.newSecret(new SecureRandom());
            write(vault, token, "plans/pro", "{\"requests-per-second\": 100, \"burst\": 100}");
            write(vault, token, "tenants/acme", "{\"plan\": \"pro\"}");
            write(vault, token, "keys/acme/" + id, "{\"name\": \"ci\", \"sha256\": \""
                    + KeyFormat.hex(KeyFormat.sha256(secret)) + "\"}");
            GatewayProcess sluice = processes.start(GatewayProcess.launch("serve", "vault", dir,
                    Map.of("port", "0", "vault-address", vault.address(), "config-poll-ms", "3600000"),
                    GatewayProcess.SMALL_JVM, Map.of("VAULT_TOKEN", token)));
            sluice.awaitPort(Duration.ofSeconds(120));

            HttpResponse<String> listed = GatewayProcess.send(processes.http, HttpRequest.newBuilder(
                    sluice.uri("/v1/functions")).header("Authorization", "Bearer sluice_sk_" + id + "_" + secret));
            assertEquals(200, listed.statusCode(), listed.body());
            HttpResponse<String> ready = GatewayProcess.send(processes.http,
                    HttpRequest.newBuilder(sluice.uri("/health/ready")));
            assertEquals(200, ready.statusCode(), ready.body());
            assertEquals("vault", JSON.readTree(ready.body()).get("config").get("source").asText());

            // The launcher's file, with one live key changed.
            Path file = dir.resolve("sluice.conf");
            Files.writeString(file, Files.readString(file) + "default-burst = 3\n");
            HttpResponse<String> refreshed = GatewayProcess.send(processes.http,
                    sluice.admin("/admin/v1/config/refresh").POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(200, refreshed.statusCode(), refreshed.body());
            JsonNode result = JSON.readTree(refreshed.body());
            assertEquals("applied", result.get("result").asText(), refreshed.body());
            assertEquals("[\"default-burst\"]", result.get("changed").toString());
            JsonNode config = JSON.readTree(GatewayProcess.send(processes.http,
                    sluice.admin("/admin/v1/config")).body());
            assertEquals("3", config.get("live-keys").get("default-burst").asText(), config.toString());

            assertFalse(sluice.output().contains(token), "the token never reaches the output");
            assertFalse(sluice.output().contains(secret));
        }
    }

    private static void write(VaultTestServer vault, String token, String path, String dataJson) throws Exception {
        HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(vault.address() + "/v1/secret/data/sluice/" + path))
                .header("X-Vault-Token", token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"data\": " + dataJson + "}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(response.statusCode() == 200, response.body());
    }
}
