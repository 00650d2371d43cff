package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code worker-discovery = dns} as configured, with nothing but the name and the port: the gateway resolves
 * {@code worker-dns-name} (here {@code localhost}, as a headless Service's name would resolve to its pods) and
 * dispatches to {@code worker-port} on the addresses found.
 */
class GatewayDiscoveryTest {
    private static final String SECRET = RemoteDispatchTest.SECRET;

    @TempDir
    Path dir;

    @Test
    void aGatewayWithDnsDiscoveryRunsCallsOnTheWorkerItsNameResolvesTo() {
        try (WorkerRole worker = WorkerRole.builder().config(SluiceConfig.defaults().with(Map.of(
                "worker-secret", SECRET, "worker-port", "0", "worker-id", "w", "data-dir",
                dir.resolve("w").toString(), "workers", "2",
                "worker-module-dir", dir.resolve("gateway/modules").toString()))).start();
             TestServer gateway = TestServer.start(dir.resolve("gateway"), Map.of("worker-secret", SECRET,
                     "worker-discovery", "dns", "worker-dns-name", "localhost",
                     "worker-port", Integer.toString(worker.port())),
                     config -> GatewayRole.builder(config, Map.of()))) {
            String key = gateway.tenantWithKey("acme", "{}");
            assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());
            for (int i = 0; i < 3; i++) {
                Reply reply = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
                assertEquals(200, reply.status(), reply.toString());
            }
            assertEquals(3, worker.started(), "every call ran on the worker found through DNS, once");
        }
    }
}
