package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenancyStores;
import dev.sluice.tenancy.TenancyStoresContract;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.KeyFormat;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.plan.TenantLimits;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileTenancyStoresTest extends TenancyStoresContract {
    @TempDir
    Path dir;

    @Override
    protected LocalTenancy open() {
        return LocalTenancy.open(dir, clock);
    }

    @Override
    protected Optional<Instant> awaitLastUsed(TenancyStores writer, Optional<Instant> expected) {
        writer.flush();
        return open().keys().list(ACME_UID).getFirst().lastUsedAt();
    }

    @Test
    void filesFromBeforePlansLoadAsTenantsOnNoPlanWithTheirLimitsAndKeysWithEveryScope() throws IOException {
        Files.writeString(dir.resolve("tenants.json"), """
                {"version": 1, "tenants": [{"id": "acme",
                  "limits": {"requests-per-second": 5, "burst": 9, "max-memory-pages": 32, "max-timeout-ms": 2000,
                             "max-module-bytes": 1048576},
                  "created-at": "2024-06-01T00:00:00Z", "updated-at": "2024-06-02T00:00:00Z"}]}
                """);
        Files.writeString(dir.resolve("keys.json"), """
                {"version": 1, "keys": [{"id": "0123456789abcdef", "tenant": "acme", "name": "old",
                  "secret-sha256": "%s", "created-at": "2024-06-01T00:00:00Z"}]}
                """.formatted(KeyFormat.hex(KeyFormat.sha256("A".repeat(43)))));

        LocalTenancy stores = open();

        Tenant acme = stores.tenants().find(ACME).orElseThrow();
        assertEquals(Optional.empty(), acme.plan());
        TenantLimits limits = stores.plans().resolve(acme, DEFAULTS);
        assertEquals(TenantLimits.of(5, 9, 32, 2_000, 1 << 20, TenantLimits.DEFAULT_MAX_FUEL_PER_CALL), limits);
        KeyMetadata key = stores.keys().verify("sk_0123456789abcdef_" + "A".repeat(43)).orElseThrow();
        assertEquals(Scope.ALL, key.scopes(), "the legacy sk_ prefix still verifies");
        assertEquals(Optional.empty(), key.functions());
        assertTrue(stores.plans().list().isEmpty(), "plans.json is created empty");
        assertTrue(Files.exists(dir.resolve("plans.json")));
    }

    @Test
    void plansStoredBeforeTheFileLimitsLoadWithTheirDefaults() throws IOException {
        Files.writeString(dir.resolve("plans.json"), """
                {"version": 1, "plans": [{"name": "gold", "limits": {"requests-per-second": 5, "burst": 9,
                  "max-concurrency": 0, "max-fuel-per-call": 1000, "fuel-per-day": 0, "invocations-per-minute": 0,
                  "invocations-per-day": 0, "max-memory-pages": 32, "max-timeout-ms": 2000,
                  "max-module-bytes": 1048576, "max-functions": 0}}]}
                """);
        TenantLimits gold = open().plans().find("gold").orElseThrow().limits();
        assertEquals(0, gold.maxAssetBytes(), "no assets until the plan allows them");
        assertEquals(1000, gold.maxAssetFiles());
        assertEquals(1 << 20, gold.scratchBytes());
        assertEquals(64, gold.scratchInodes());
    }

    @Test
    void tenantsAndKeysFromBeforeUidsKeepTheirNameAsUidWrittenAtOpenAndAreNotInheritedByARecreation()
            throws IOException {
        Files.writeString(dir.resolve("tenants.json"), """
                {"version": 1, "tenants": [{"id": "acme", "overrides": {},
                  "created-at": "2024-06-01T00:00:00Z", "updated-at": "2024-06-02T00:00:00Z"}]}
                """);
        Files.writeString(dir.resolve("keys.json"), """
                {"version": 1, "keys": [{"id": "0123456789abcdef", "tenant": "acme", "name": "old",
                  "secret-sha256": "%s", "created-at": "2024-06-01T00:00:00Z"}]}
                """.formatted(KeyFormat.hex(KeyFormat.sha256("A".repeat(43)))));
        String legacyKey = "sluice_sk_0123456789abcdef_" + "A".repeat(43);

        LocalTenancy stores = open();

        Tenant acme = stores.tenants().find(ACME).orElseThrow();
        assertEquals(TenantUid.legacy(ACME), acme.uid(), "the name its quotas and usage were kept under");
        assertTrue(Files.readString(dir.resolve("tenants.json")).contains("\"uid\" : \"acme\""),
                "written back at open");
        KeyMetadata key = stores.keys().verify(legacyKey).orElseThrow();
        assertEquals(Optional.of(acme), stores.tenants().find(key.tenant()), "its old keys still authenticate it");
        assertEquals(acme, open().tenants().find(ACME).orElseThrow());

        stores.tenants().delete(ACME);
        Tenant again = stores.tenants().put(ACME, Optional.empty(), LimitOverrides.none()).tenant();

        assertTrue(again.uid().value().startsWith("acme."), again.uid().value());
        assertTrue(open().tenants().find(open().keys().verify(legacyKey).orElseThrow().tenant()).isEmpty(),
                "a never revoked key of the old tenant is not the new one's");
    }

    @Test
    void plansAndTheNewFieldsAreWrittenInKebabCase() throws IOException {
        LocalTenancy stores = open();
        stores.plans().put(new Plan("gold", GOLD));
        stores.tenants().put(ACME, Optional.of("gold"), LimitOverrides.none().with(Limit.MAX_CONCURRENCY, 4));
        stores.close(); // writes the snapshots

        String plans = Files.readString(dir.resolve("plans.json"));
        String tenants = Files.readString(dir.resolve("tenants.json"));

        assertTrue(plans.contains("\"invocations-per-minute\" : 6000"), plans);
        assertTrue(plans.contains("\"quota-fail-policy\" : \"fail-open\""), plans);
        assertTrue(tenants.contains("\"plan\" : \"gold\""), tenants);
        assertTrue(tenants.contains("\"max-concurrency\" : 4"), tenants);
    }
}
