package dev.sluice.gateway;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A fresh server per test with one tenant, {@code acme}, and an API key for it. */
abstract class TenantApiTestBase {
    @TempDir
    Path dataDir;
    TestServer server;
    String key;

    /** Configuration keys to override for this test class. */
    Map<String, String> settings() {
        return Map.of();
    }

    @BeforeEach
    void startServerWithTenant() {
        server = TestServer.start(dataDir, settings());
        key = server.tenantWithKey("acme", tenantLimits());
    }

    /** The limits JSON the {@code acme} tenant is created with. */
    String tenantLimits() {
        return "{}";
    }

    @AfterEach
    void stopServer() {
        server.close();
    }
}
