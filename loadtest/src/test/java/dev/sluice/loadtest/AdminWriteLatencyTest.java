package dev.sluice.loadtest;

import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.local.LocalTenancy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.InstantSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AdminWriteLatencyTest {
    @TempDir
    Path dir;

    @Test
    void theGeneratedDataDirectoryOpensWithEveryTenantAndOneKeyEach() throws Exception {
        AdminWriteLatency.generate(dir, 250);

        try (LocalTenancy stores = LocalTenancy.open(dir, InstantSource.system())) {
            assertEquals(250, stores.tenants().list().size());
            var last = stores.tenants().find(TenantId.of(AdminWriteLatency.tenantName(249))).orElseThrow();
            assertEquals(1, stores.keys().list(last.uid()).size());
        }
    }
}
