package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.gateway.logs.LogLimits;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tenant function logs' bounds as configuration keys ({@code function-logs-*}): validated naming the key, the
 * defaults those of {@link LogLimits#defaults()}, and a gateway started with small ones keeps no more than they allow.
 */
class FunctionLogBoundsConfigTest {
    @TempDir
    Path dataDir;

    @Test
    void theDefaultsAreTheLogLimitsDefaults() {
        LogLimits configured = LogLimits.of(SluiceConfig.defaults().logs());
        assertEquals(LogLimits.defaults(), configured);
    }

    @Test
    void aBoundOutOfRangeIsRefusedNamingTheKey() {
        assertEquals("function-logs-entries: 0 (expected: 1..10000)", refused("function-logs-entries", "0"));
        assertEquals("function-logs-entry-bytes: 2097152 (expected: 1..1048576)",
                refused("function-logs-entry-bytes", "2097152"));
        // One full entry at least: 256 bytes of overhead plus two per character of 8 KiB of stderr.
        assertEquals("function-logs-tenant-bytes: 100 (expected: 16640..1073741824)",
                refused("function-logs-tenant-bytes", "100"));
        assertEquals("function-logs-retention-ms: 999 (expected: 1000..604800000)",
                refused("function-logs-retention-ms", "999"));
        assertEquals("overrides: function-logs-entries: 'many' (expected: an integer)",
                refused("function-logs-entries", "many"));
    }

    @Test
    void theSmallestTenantCapTheConfigurationAcceptsIsOneTheLogsAccept() {
        SluiceConfig smallest = SluiceConfig.defaults().with(Map.of("function-logs-entry-bytes", "10",
                "function-logs-tenant-bytes", "276"));
        assertEquals(276, LogLimits.of(smallest.logs()).bytesPerTenant());
    }

    @Test
    void aGatewayKeepsNoMoreEntriesAndStderrThanConfigured() {
        try (TestServer server = TestServer.start(dataDir, Map.of("function-logs-entries", "2",
                "function-logs-entry-bytes", "5", "function-logs-retention-ms", "60000"))) {
            String key = server.tenantWithKey("acme", "{}");
            assertEquals(201, server.deploy(key, "chatty", PrintingModule.printing(
                    "Content-Type: text/plain\n\nok".getBytes(StandardCharsets.UTF_8),
                    "0123456789".getBytes(StandardCharsets.UTF_8))).status());
            for (int i = 0; i < 3; i++) {
                assertEquals(200, server.call(key, "POST", "/v1/functions/chatty/invoke", new byte[0], "text/plain")
                        .status());
            }
            JsonNode entries = logs(server, key);
            assertEquals(2, entries.size(), "the ring of function-logs-entries: " + entries);
            for (JsonNode entry : entries) {
                assertEquals("01234", entry.get("stderr").asText());
                assertTrue(entry.get("truncated").asBoolean());
            }
            server.advance(Duration.ofSeconds(61));
            assertEquals(0, logs(server, key).size(), "older than function-logs-retention-ms");
        }
    }

    private static JsonNode logs(TestServer server, String key) {
        Reply reply = server.call(key, "GET", "/v1/functions/chatty/logs", null, null);
        assertEquals(200, reply.status(), reply.toString());
        return reply.json().get("entries");
    }

    private static String refused(String key, String value) {
        return assertThrows(ConfigException.class, () -> SluiceConfig.defaults().with(Map.of(key, value)))
                .getMessage();
    }
}
