package dev.sluice.tenancy.local;

import dev.sluice.tenancy.Tenant;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.LimitOverrides;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CorruptStateTest {
    @TempDir
    Path dir;
    final FakeClock clock = FakeClock.atEpochDay();

    TenancyException.StorageFailure openFails() {
        return assertThrows(TenancyException.StorageFailure.class, () -> LocalTenancy.open(dir, clock));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "{not json",
            "[]",
            "{\"tenants\": []}",
            "{\"version\": 2, \"tenants\": []}",
            "{\"version\": 1}",
            "{\"version\": 1, \"tenants\": {}}",
            "{\"version\": 1, \"tenants\": [42]}",
            "{\"version\": 1, \"version\": 1, \"tenants\": []}",
    })
    void malformedTenantsFileFailsOpenNamingTheFile(String content) throws IOException {
        Files.writeString(dir.resolve("tenants.json"), content);

        TenancyException.StorageFailure failure = openFails();

        assertTrue(failure.getMessage().contains("tenants.json"), failure.getMessage());
        assertEquals(content, Files.readString(dir.resolve("tenants.json")), "the corrupt file is left for repair");
    }

    @Test
    void invalidTenantIdOnLoadIsReportedWithItsPath() throws IOException {
        try (LocalTenancy stores = LocalTenancy.open(dir, clock)) { // closing writes the snapshot
            stores.tenants().put(TenantId.of("acme"), TenantStoreTest.SMALL);
        }
        Path file = dir.resolve("tenants.json");
        Files.writeString(file, Files.readString(file).replace("\"acme\"", "\"Not/A-Tenant\""));

        TenancyException.StorageFailure failure = openFails();

        assertTrue(failure.getMessage().contains("tenants.json"), failure.getMessage());
        assertTrue(failure.getMessage().contains("tenants[0].id"), failure.getMessage());
    }

    @Test
    void invalidLimitOnLoadNamesTheField() throws IOException {
        try (LocalTenancy stores = LocalTenancy.open(dir, clock)) { // closing writes the snapshot
            stores.tenants().put(TenantId.of("acme"), TenantStoreTest.SMALL);
        }
        Path file = dir.resolve("tenants.json");
        Files.writeString(file, Files.readString(file).replace("\"burst\" : 20", "\"burst\" : -3"));

        TenancyException.StorageFailure failure = openFails();

        assertTrue(failure.getMessage().contains("tenants[0].overrides.burst: -3"), failure.getMessage());
    }

    @Test
    void duplicateTenantIsRejectedRatherThanOneSilentlyWinning() throws IOException {
        try (LocalTenancy stores = LocalTenancy.open(dir, clock)) { // closing writes the snapshot
            stores.tenants().put(TenantId.of("acme"), TenantStoreTest.SMALL);
            stores.tenants().put(TenantId.of("beta"), TenantStoreTest.SMALL);
        }
        Path file = dir.resolve("tenants.json");
        Files.writeString(file, Files.readString(file).replace("\"beta", "\"acme"));

        TenancyException.StorageFailure failure = openFails();

        assertTrue(failure.getMessage().contains("more than once"), failure.getMessage());
    }

    @Test
    void planMissingALimitIsReportedWithItsPath() throws IOException {
        Files.writeString(dir.resolve("plans.json"), """
                {"version": 1, "plans": [{"name": "gold", "limits": {"requests-per-second": 5}}]}
                """);

        TenancyException.StorageFailure failure = openFails();

        assertTrue(failure.getMessage().contains("plans.json"), failure.getMessage());
        assertTrue(failure.getMessage().contains("plans[0].limits.burst: missing"), failure.getMessage());
    }

    @Test
    void unknownLimitOrScopeOnLoadIsReportedRatherThanDropped() throws IOException {
        LocalTenancy stores = LocalTenancy.open(dir, clock);
        stores.tenants().put(TenantId.of("acme"), Optional.empty(), LimitOverrides.none().with(Limit.BURST, 3));
        stores.keys().issue(TenantUid.of("acme"), "ci", Optional.empty());
        stores.close(); // writes the snapshot
        Path tenants = dir.resolve("tenants.json");
        Files.writeString(tenants, Files.readString(tenants).replace("\"burst\"", "\"brust\""));

        assertTrue(openFails().getMessage().contains("tenants[0].overrides.brust: unknown limit"));

        Files.writeString(tenants, Files.readString(tenants).replace("\"brust\"", "\"burst\""));
        Path keys = dir.resolve("keys.json");
        Files.writeString(keys, Files.readString(keys).replace("\"deploy\"", "\"delpoy\""));

        assertTrue(openFails().getMessage().contains("keys[0].scopes: 'delpoy'"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "garbage",
            "{\"version\": 1, \"keys\": [{\"id\": \"short\"}]}",
            "{\"version\": 1, \"keys\": \"none\"}",
    })
    void malformedKeysFileFailsOpenNamingTheFile(String content) throws IOException {
        Files.writeString(dir.resolve("keys.json"), content);

        TenancyException.StorageFailure failure = openFails();

        assertTrue(failure.getMessage().contains("keys.json"), failure.getMessage());
    }

    @Test
    void keyWithDamagedHashFailsOpen() throws IOException {
        try (LocalTenancy stores = LocalTenancy.open(dir, clock)) { // closing writes the snapshot
            stores.keys().issue(TenantUid.of("acme"), "ci", Optional.empty());
        }
        Path file = dir.resolve("keys.json");
        Files.writeString(file, Files.readString(file).replaceAll("\"secret-sha256\" : \"[0-9a-f]+\"",
                "\"secret-sha256\" : \"abc\""));

        TenancyException.StorageFailure failure = openFails();

        assertTrue(failure.getMessage().contains("keys.json"), failure.getMessage());
        assertTrue(failure.getMessage().contains("keys[0].secret-sha256"), failure.getMessage());
    }
}
