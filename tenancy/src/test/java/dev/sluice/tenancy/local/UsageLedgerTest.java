package dev.sluice.tenancy.local;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.usage.DailyUsage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageLedgerTest {
    private static final TenantUid ACME = TenantUid.of("acme");
    private static final TenantUid GLOBEX = TenantUid.of("globex");

    @TempDir
    Path dir;
    final FakeClock clock = FakeClock.atEpochDay();

    @Test
    void countsInvocationsErrorsThrottlesAndFuelPerDay() {
        LocalUsageLedger ledger = LocalUsageLedger.open(dir, clock);
        ledger.invocation(ACME, false, 100);
        ledger.invocation(ACME, true, 50);
        ledger.throttled(ACME);
        clock.advance(Duration.ofDays(1));
        ledger.invocation(ACME, false, 7);

        List<DailyUsage> days = ledger.daily(ACME, 7);
        assertEquals(List.of(new DailyUsage(LocalDate.parse("2025-01-02"), 1, 0, 0, 7),
                new DailyUsage(LocalDate.parse("2025-01-01"), 2, 1, 1, 150)), days);
        assertEquals(1, ledger.daily(ACME, 1).size(), "only today");
        assertEquals(List.of(), ledger.daily(GLOBEX, 7), "tenants are separate");
    }

    @Test
    void flushedUsageSurvivesReopen() throws Exception {
        LocalUsageLedger ledger = LocalUsageLedger.open(dir, clock);
        ledger.invocation(ACME, false, 42);
        ledger.invocation(GLOBEX, true, 1);
        ledger.flush();
        LocalUsageLedger reopened = LocalUsageLedger.open(dir, clock);
        assertEquals(ledger.daily(ACME, 1), reopened.daily(ACME, 1));
        assertEquals(ledger.daily(GLOBEX, 1), reopened.daily(GLOBEX, 1));
    }

    @Test
    void aFlushWritesOnlyTheRowsThatChangedAndNothingWhenNothingDid() throws Exception {
        LocalUsageLedger ledger = LocalUsageLedger.open(dir, clock);
        for (int i = 0; i < 200; i++) {
            ledger.invocation(TenantUid.of("t" + i), false, 1);
        }
        ledger.flush();
        long afterAll = journalBytes();

        ledger.flush();
        assertEquals(afterAll, journalBytes(), "nothing changed, nothing written");

        ledger.invocation(ACME, false, 42);
        ledger.flush();
        long oneRow = journalBytes() - afterAll;
        assertTrue(oneRow > 0 && oneRow < 200, "one row: " + oneRow + " bytes");
        assertEquals(ledger.daily(ACME, 1), LocalUsageLedger.open(dir, clock).daily(ACME, 1));
    }

    @Test
    void snapshotsAndTheJournalReopenAsTheLiveLedger() {
        LocalUsageLedger ledger = LocalUsageLedger.open(dir, clock, 512);
        for (int round = 0; round < 30; round++) {
            for (int i = 0; i < 10; i++) {
                ledger.invocation(TenantUid.of("t" + ((round * 3 + i) % 17)), i % 4 == 0, round + i);
                ledger.throttled(TenantUid.of("t" + (i % 5)));
            }
            if (round == 10) {
                ledger.forget(TenantUid.of("t3"));
            }
            if (round % 7 == 0) {
                clock.advance(Duration.ofDays(1));
            }
            ledger.flush();
        }
        LocalUsageLedger reopened = LocalUsageLedger.open(dir, clock);
        for (int t = 0; t < 17; t++) {
            TenantUid tenant = TenantUid.of("t" + t);
            assertEquals(ledger.daily(tenant, 30), reopened.daily(tenant, 30), "t" + t);
        }
        assertTrue(Files.exists(dir.resolve("usage.json")), "the journal outgrew 512 bytes: snapshotted");
    }

    long journalBytes() throws java.io.IOException {
        try (var files = Files.list(dir)) {
            long total = 0;
            for (var file : files.filter(p -> p.getFileName().toString().startsWith("usage.")
                    && p.getFileName().toString().endsWith(".journal")).toList()) {
                total += Files.size(file);
            }
            return total;
        }
    }

    @Test
    void flushDropsDaysPastRetention() {
        LocalUsageLedger ledger = LocalUsageLedger.open(dir, clock);
        ledger.invocation(ACME, false, 1);
        clock.advance(Duration.ofDays(LocalUsageLedger.RETENTION_DAYS));
        ledger.flush();
        assertEquals(List.of(), LocalUsageLedger.open(dir, clock).daily(ACME, 1000));
    }

    @Test
    void forgetRemovesATenantsHistory() {
        LocalUsageLedger ledger = LocalUsageLedger.open(dir, clock);
        ledger.invocation(ACME, false, 1);
        ledger.forget(ACME);
        assertEquals(List.of(), ledger.daily(ACME, 1));
    }

    @Test
    void corruptUsageFileIsReportedNamingIt() throws Exception {
        Files.writeString(dir.resolve("usage.json"),
                "{\"version\": 1, \"usage\": [{\"tenant\": \"acme\", \"day\": \"yesterday\"}]}");
        TenancyException.StorageFailure e = assertThrows(TenancyException.StorageFailure.class,
                () -> LocalUsageLedger.open(dir, clock));
        assertTrue(e.getMessage().contains("usage.json"), e.getMessage());
    }

    @Test
    void nonPositiveDayCountIsRejected() {
        assertThrows(TenancyException.InvalidInput.class, () -> LocalUsageLedger.open(dir, clock).daily(ACME, 0));
    }
}
