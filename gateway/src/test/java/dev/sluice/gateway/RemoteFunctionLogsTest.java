package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.gateway.TestServer.Reply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** With {@code sluice gateway} and a remote worker, the guest's stderr crosses the hop into the gateway's logs. */
class RemoteFunctionLogsTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final InJvmCluster cluster = new InJvmCluster(() -> dir);

    @Test
    void aRemoteInvocationsStderrIsRecordedAtTheGateway() {
        WorkerRole worker = cluster.worker("a", Map.of());
        TestServer gateway = cluster.gateway(worker.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.deploy(key, "hello", PrintingModule.printing(
                "Content-Type: text/plain\n\nok".getBytes(StandardCharsets.UTF_8),
                "from the worker\n".getBytes(StandardCharsets.UTF_8))).status());
        Reply reply = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
        assertEquals(200, reply.status(), reply.toString());

        JsonNode entries = gateway.call(key, "GET", "/v1/functions/hello/logs", null, null).json().get("entries");
        assertEquals(1, entries.size(), entries.toString());
        JsonNode entry = entries.get(0);
        assertEquals(reply.header("Sluice-Invocation-Id").orElseThrow(), entry.get("invocation-id").asText());
        assertEquals("from the worker\n", entry.get("stderr").asText());
        assertEquals("completed", entry.get("outcome").asText());
        assertTrue(entry.get("fuel").asLong() > 0);
    }
}
