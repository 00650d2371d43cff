package dev.sluice.tenancy.local;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.TenantLimits;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TenantStoreTest {
    static final TenantLimits SMALL = TenantLimits.of(10, 20, 16, 1_000, 1 << 20, 1_000_000);
    static final TenantLimits LARGE = TenantLimits.of(100, 200, 256, 5_000, 8 << 20, 1_000_000);

    @TempDir
    Path dir;
    final FakeClock clock = FakeClock.atEpochDay();

    TenantStore open() {
        return LocalTenancy.open(dir, clock).tenants();
    }

    @Test
    void createdTenantCanBeFoundWithItsLimitsAndClockStamps() {
        TenantStore store = open();
        Instant start = clock.instant();

        TenantStore.PutResult result = store.put(TenantId.of("acme"), SMALL);

        assertTrue(result.created());
        Tenant expected = new Tenant(TenantId.of("acme"), result.tenant().uid(), Optional.empty(),
                LimitOverrides.of(SMALL), start, start);
        assertEquals(expected, result.tenant());
        assertEquals(expected, store.find(TenantId.of("acme")).orElseThrow());
        assertTrue(store.find(TenantId.of("other")).isEmpty());
    }

    @Test
    void updateKeepsCreatedAtAndStampsUpdatedAtFromTheClock() {
        TenantStore store = open();
        Instant created = clock.instant();
        store.put(TenantId.of("acme"), SMALL);
        clock.advance(Duration.ofMinutes(5));

        TenantStore.PutResult result = store.put(TenantId.of("acme"), LARGE);

        assertFalse(result.created());
        assertEquals(created, result.tenant().createdAt());
        assertEquals(created.plus(Duration.ofMinutes(5)), result.tenant().updatedAt());
        assertEquals(LimitOverrides.of(LARGE), store.find(TenantId.of("acme")).orElseThrow().overrides());
    }

    @Test
    void listIsOrderedById() {
        TenantStore store = open();
        for (String id : List.of("zeta", "alpha", "mid-1", "0first")) {
            store.put(TenantId.of(id), SMALL);
        }

        List<String> ids = store.list().stream().map(t -> t.id().value()).toList();

        assertEquals(List.of("0first", "alpha", "mid-1", "zeta"), ids);
    }

    @Test
    void deleteRemovesOnlyThatTenantAndReportsWhetherItExisted() {
        TenantStore store = open();
        store.put(TenantId.of("acme"), SMALL);
        store.put(TenantId.of("globex"), SMALL);

        assertTrue(store.delete(TenantId.of("acme")));
        assertFalse(store.delete(TenantId.of("acme")));
        assertTrue(store.find(TenantId.of("acme")).isEmpty());
        assertEquals(List.of(TenantId.of("globex")), store.list().stream().map(Tenant::id).toList());
    }

    @Test
    void tenantsSurviveReopenWithAllFields() {
        TenantStore first = open();
        first.put(TenantId.of("acme"), SMALL);
        clock.advance(Duration.ofSeconds(3));
        first.put(TenantId.of("acme"), LARGE);
        first.put(TenantId.of("globex"), SMALL);
        first.put(TenantId.of("doomed"), SMALL);
        first.delete(TenantId.of("doomed"));

        TenantStore second = open();

        assertEquals(first.list(), second.list());
        assertEquals(2, second.list().size());
    }

    @Test
    void openingAnEmptyDirectoryWritesAVersionedEmptyFile() throws IOException {
        Path nested = dir.resolve("not/yet/there");

        LocalTenancy.open(nested, clock);

        String json = Files.readString(nested.resolve("tenants.json"));
        assertTrue(json.contains("\"version\" : 1"), json);
        assertTrue(json.contains("\"tenants\" : [ ]"), json);
    }

    @Test
    void concurrentPutsAreAllKept() throws InterruptedException {
        TenantStore store = open();
        Thread[] threads = new Thread[8];
        for (int t = 0; t < threads.length; t++) {
            int n = t;
            threads[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10; i++) {
                    store.put(TenantId.of("t" + n + "-" + i), SMALL);
                }
            });
        }
        for (Thread thread : threads) {
            thread.join();
        }

        assertEquals(80, store.list().size());
        assertEquals(80, open().list().size());
    }
}
