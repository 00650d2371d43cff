package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.testing.VaultTestServer;
import dev.sluice.config.vault.VaultOperations;
import dev.sluice.gateway.MetricsTest.Exposition;
import dev.sluice.gateway.TestServer.Reply;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vault request metrics against {@link VaultTestServer} and the real Vault client: every request the gateway made
 * (login, reading its configuration tree) is in the series exactly once, as the server counted it, labelled by a
 * fixed operation and never by a path, and a request Vault answers with an error moves the failures by one.
 */
class VaultMetricsTest {
    @TempDir
    Path dataDir;
    VaultTestServer vault;
    TestServer server;

    @BeforeEach
    void start() {
        vault = VaultTestServer.start(InstantSource.system());
        String token = vault.issueToken(Duration.ZERO);
        vault.put("secret/sluice/plans/secret-plan-name", Map.of("requests-per-second", 5));
        vault.resetRequests();
        server = TestServer.start(dataDir, Map.of("vault-address", vault.address(),
                        // Only the test's refreshes check Vault: nothing changes behind its back.
                        "config-poll-ms", "3600000", "vault-timeout-ms", "2000"),
                config -> Sluice.builder().config(config).environment(Map.of("VAULT_TOKEN", token)));
    }

    @AfterEach
    void stop() {
        server.close();
        vault.close();
    }

    @Test
    void everyVaultRequestIsCountedOnceByOperationAndAnErrorAnswerIsAFailure() throws Exception {
        Exposition started = settled();
        assertTrue(vault.requests().size() > 0, "the gateway read its configuration from Vault");
        assertEquals(vault.requests().size(), requests(started), "requests measured, against the server's count: "
                + vault.requests());
        assertEquals(0, started.sum("sluice_vault_request_failures_total"));
        assertTrue(started.sum("sluice_vault_request_duration_seconds_count", "operation", "list") > 0,
                "the tree is listed: " + vault.requests());

        vault.failNext("secret/", 500);
        server.admin("POST", "/admin/v1/config/refresh", null);
        Exposition refreshed = settled();
        assertEquals(1, refreshed.sum("sluice_vault_request_failures_total"), "the one answer with 500");
        assertEquals(vault.requests().size(), requests(refreshed));

        String text = server.admin("GET", "/metrics", null).body();
        assertFalse(text.contains("secret-plan-name"), "no Vault path in a label");
        assertFalse(text.contains("sluice/plans"), "no Vault path in a label");
        for (Exposition.Sample sample : refreshed.samples()) {
            if (sample.name().startsWith("sluice_vault_request")) {
                assertTrue(VaultOperations.OPERATIONS.contains(sample.labels().get("operation")), sample.toString());
            }
        }
        Promtool.accepts(text, dataDir);
    }

    /**
     * A scrape once the requests measured match those the server received (an asynchronous exchange is told to the
     * metrics on the client's thread, maybe just after its caller went on), for at most 20 s.
     */
    private Exposition settled() throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        Exposition metrics = scrape();
        while (requests(metrics) != vault.requests().size() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            metrics = scrape();
        }
        return metrics;
    }

    /** Every request measured: answered (timed) or failed. */
    private static long requests(Exposition metrics) {
        return metrics.sum("sluice_vault_request_duration_seconds_count")
                + metrics.sum("sluice_vault_request_failures_total");
    }

    private Exposition scrape() {
        Reply scraped = server.admin("GET", "/metrics", null);
        assertEquals(200, scraped.status(), scraped.toString());
        return Exposition.parse(scraped.body());
    }
}
