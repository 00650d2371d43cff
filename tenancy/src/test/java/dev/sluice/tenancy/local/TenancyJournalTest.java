package dev.sluice.tenancy.local;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.Plan;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The local stores over their journal: what survives a crash, snapshots, old data directories, concurrency. */
class TenancyJournalTest {
    @TempDir
    Path dir;
    final FakeClock clock = FakeClock.atEpochDay();

    /** Everything a reader can see, to compare two openings of a data directory. */
    record State(List<Tenant> tenants, List<Plan> plans, List<KeyMetadata> keys) {}

    static State state(LocalTenancy stores) {
        List<KeyMetadata> keys = new ArrayList<>();
        for (Tenant tenant : stores.tenants().list()) {
            keys.addAll(stores.keys().list(tenant.uid()));
        }
        return new State(stores.tenants().list(), stores.plans().list(), keys);
    }

    static State stateAt(Path dir, FakeClock clock) {
        LocalTenancy stores = LocalTenancy.open(dir, clock, Long.MAX_VALUE);
        try {
            return state(stores);
        } finally {
            stores.abandon(); // as a crash: closing would write snapshots into the directory under test
        }
    }

    static List<Path> segments(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".journal")).sorted().toList();
        }
    }

    static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }

    static LimitOverrides burst(int burst) {
        return LimitOverrides.none().with(Limit.BURST, burst);
    }

    /**
     * A process killed during a write leaves any prefix of its record: for every byte offset within the last record
     * the directory reopens as it was before that write (nothing half-written appears), and with the whole record as
     * it was after (nothing that returned is lost).
     */
    @Test
    void aWriteCutAtAnyByteOpensAsBeforeItAndAWholeOneAsAfter() throws IOException {
        Path live = dir.resolve("live");
        LocalTenancy stores = LocalTenancy.open(live, clock, Long.MAX_VALUE);
        stores.plans().put(new Plan("gold", TenantStoreTest.LARGE));
        stores.tenants().put(TenantId.of("acme"), Optional.of("gold"), burst(5));
        IssuedKey kept = stores.keys().issue(TenantUid.of("acme"), "kept", Optional.empty());
        State before = state(stores);
        Path segment = segments(live).getLast();
        long sizeBefore = Files.size(segment);

        // The last write: a tenant deletion with its keys would be two records; a rotation is one of two keys.
        stores.keys().rotate(kept.metadata().tenant(), kept.metadata().id(), Duration.ofMinutes(5), Optional.empty())
                .orElseThrow();
        State after = state(stores);
        byte[] whole = Files.readAllBytes(segment);
        assertTrue(whole.length > sizeBefore);

        for (long cut = sizeBefore; cut <= whole.length; cut++) {
            Path crashed = dir.resolve("crashed-" + cut);
            copy(live, crashed);
            Files.write(crashed.resolve(segment.getFileName()), java.util.Arrays.copyOf(whole, (int) cut));

            assertEquals(cut == whole.length ? after : before, stateAt(crashed, clock), "cut at byte " + cut);
        }
    }

    @Test
    void snapshotPlusReplayOpensAsTheLiveStoresAtEveryPoint() throws IOException {
        Random random = new Random(12);
        // Snapshots after about 2 KiB of journal: many compactions in the background during the run.
        LocalTenancy stores = LocalTenancy.open(dir, clock, 2048);
        stores.plans().put(new Plan("gold", TenantStoreTest.LARGE));
        List<IssuedKey> live = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            TenantId id = TenantId.of("t" + random.nextInt(40));
            switch (random.nextInt(6)) {
                case 0, 1 -> stores.tenants().put(id, random.nextBoolean() ? Optional.of("gold") : Optional.empty(),
                        burst(1 + random.nextInt(100)));
                case 2 -> stores.tenants().find(id).ifPresent(t -> {
                    stores.keys().revokeAll(t.uid());
                    stores.tenants().delete(id);
                });
                case 3, 4 -> stores.tenants().find(id).ifPresent(t ->
                        live.add(stores.keys().issue(t.uid(), "k" + random.nextInt(5), Optional.empty())));
                default -> {
                    if (!live.isEmpty()) {
                        IssuedKey key = live.remove(random.nextInt(live.size()));
                        stores.keys().revoke(key.metadata().tenant(), key.metadata().id());
                    }
                }
            }
            if (i % 97 == 0) {
                stores.compact();
            }
            if (i % 50 == 0) {
                clock.advance(Duration.ofMinutes(2));
                live.stream().limit(3).forEach(k -> stores.keys().verify(k.secret()));
                stores.flush();
            }
        }
        State expected = state(stores);
        assertFalse(expected.tenants().isEmpty());
        stores.compact(); // waits for any background snapshot, then takes one more

        assertEquals(expected, stateAt(dir, clock), "snapshot plus replayed journal");
        stores.tenants().put(TenantId.of("late"), Optional.empty(), burst(1));
        assertEquals(state(stores), stateAt(dir, clock), "a write after the snapshot is replayed on top of it");
        stores.close();
        assertEquals(state(stores), stateAt(dir, clock), "closed: the snapshot alone");
        assertEquals(1, segments(dir).size(), "covered segments are deleted");
        assertEquals(0, Files.size(segments(dir).getFirst()), "and the current one is empty");
    }

    @Test
    void aDataDirectoryFromBeforeTheJournalOpensUnchangedAndGainsAJournal() throws IOException {
        Files.writeString(dir.resolve("plans.json"), """
                {"version": 1, "plans": []}
                """);
        Files.writeString(dir.resolve("tenants.json"), """
                {"version": 1, "tenants": [{"id": "acme", "uid": "acme.0123456789abcdef0123456789abcdef",
                  "overrides": {"burst": 7}, "created-at": "2024-06-01T00:00:00Z", "updated-at": "2024-06-02T00:00:00Z"}]}
                """);
        Files.writeString(dir.resolve("keys.json"), """
                {"version": 1, "keys": []}
                """);
        String tenantsFile = Files.readString(dir.resolve("tenants.json"));

        LocalTenancy stores = LocalTenancy.open(dir, clock, Long.MAX_VALUE);
        assertEquals(burst(7), stores.tenants().find(TenantId.of("acme")).orElseThrow().overrides());
        stores.tenants().put(TenantId.of("beta"), Optional.empty(), burst(1));

        assertEquals(tenantsFile, Files.readString(dir.resolve("tenants.json")), "a write appends, never rewrites");
        assertEquals(List.of("acme", "beta"), stateAt(dir, clock).tenants().stream().map(t -> t.id().value()).toList());
        stores.close();
        assertTrue(Files.readString(dir.resolve("tenants.json")).contains("\"beta\""), "closing snapshots");
        assertEquals(List.of("acme", "beta"), stateAt(dir, clock).tenants().stream().map(t -> t.id().value()).toList());
    }

    @Test
    void aWriteIsOneRecordWhateverTheNumberOfTenantsAndRevokingAllKeysIsOne() throws IOException {
        LocalTenancy stores = LocalTenancy.open(dir, clock, Long.MAX_VALUE);
        for (int i = 0; i < 300; i++) {
            stores.tenants().put(TenantId.of("t" + i), Optional.empty(), burst(1));
        }
        TenantUid acme = stores.tenants().put(TenantId.of("acme"), Optional.empty(), burst(1)).tenant().uid();
        for (int i = 0; i < 5; i++) {
            stores.keys().issue(acme, "k" + i, Optional.empty());
        }
        Path segment = segments(dir).getLast();

        long size = Files.size(segment);
        stores.tenants().put(TenantId.of("t7"), Optional.empty(), burst(2));
        long oneWrite = Files.size(segment) - size;
        assertTrue(oneWrite < 400, "one record of one tenant: " + oneWrite + " bytes");

        long seq = stores.log().lastSeq();
        stores.keys().revokeAll(acme);
        assertEquals(seq + 1, stores.log().lastSeq(), "five keys revoked in one record");
        assertTrue(stateAt(dir, clock).keys().isEmpty());
    }

    @Test
    void concurrentWritersAllSurviveReopen() throws Exception {
        LocalTenancy stores = LocalTenancy.open(dir, clock, 4096);
        int threads = 6;
        int each = 40;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            writers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < each; i++) {
                    Tenant tenant = stores.tenants().put(TenantId.of("w" + id + "-" + i), Optional.empty(), burst(1))
                            .tenant();
                    stores.keys().issue(tenant.uid(), "k", Optional.empty());
                }
            }));
        }
        start.countDown();
        for (Thread writer : writers) {
            writer.join();
        }
        stores.compact();

        State reopened = stateAt(dir, clock);
        assertEquals(threads * each, reopened.tenants().size());
        assertEquals(threads * each, reopened.keys().size());
        assertEquals(state(stores), reopened);
    }

    @Test
    void lastUseReachesTheJournalAsOneRecordOfTheKeysUsed() {
        LocalTenancy stores = LocalTenancy.open(dir, clock, Long.MAX_VALUE);
        TenantUid acme = stores.tenants().put(TenantId.of("acme"), Optional.empty(), burst(1)).tenant().uid();
        IssuedKey used = stores.keys().issue(acme, "used", Optional.empty());
        stores.keys().issue(acme, "idle", Optional.empty());
        stores.keys().verify(used.secret());
        long seq = stores.log().lastSeq();

        stores.flush();
        stores.flush();

        assertEquals(seq + 1, stores.log().lastSeq(), "one record; nothing to write the second time");
        List<KeyMetadata> keys = stateAt(dir, clock).keys();
        assertEquals(Optional.of(clock.instant()), keys.getFirst().lastUsedAt());
        assertEquals(Optional.empty(), keys.getLast().lastUsedAt());
    }
}
