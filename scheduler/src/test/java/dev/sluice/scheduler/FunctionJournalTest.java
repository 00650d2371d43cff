package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: a change to the function index appends one record to {@code functions.journal} instead of rewriting
 * {@code functions.json}, so the bytes written per deploy do not grow with the functions stored; the journal is
 * replayed on the snapshot at open, a torn last record is cut off, and folding the journal into the snapshot is safe
 * to repeat.
 */
class FunctionJournalTest {
    @TempDir
    Path dataDir;

    private static FunctionSpec spec(String tenant, int n) {
        return new FunctionSpec(tenant, FunctionName.of("f" + n), "sha256:" + String.format("%064x", n), 700, 16,
                10_000, Instant.EPOCH, 1_000_000);
    }

    private Path journal() {
        return dataDir.resolve("functions.journal");
    }

    private static Set<String> names(List<FunctionSpec> specs) {
        return specs.stream().map(f -> f.tenant() + "/" + f.name().value()).collect(Collectors.toSet());
    }

    @Test
    void bytesWrittenPerChangeDoNotGrowWithTheFunctionsStored() throws IOException {
        var store = new FunctionStore(dataDir);
        store.load();
        store.put(spec("acme", 10_000));
        long first = Files.size(journal());
        List<FunctionSpec> many = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            many.add(spec("t" + (i % 50), 20_000 + i));
        }
        store.save(many); // 3 000 functions in the snapshot, the journal empty
        assertEquals(0, Files.size(journal()));
        store.put(spec("acme", 10_001));
        assertEquals(first, Files.size(journal()), "one record of the same size, whatever is stored");
        assertFalse(store.wantsCompaction());
        store.close();
    }

    @Test
    void changesAreReplayedOnTheSnapshotAfterACrash() {
        var store = new FunctionStore(dataDir);
        store.load();
        store.save(List.of(spec("acme", 1), spec("bob", 2), spec("bob", 3)));
        store.put(spec("acme", 4));
        store.put(spec("acme", 1)); // replaced with the same
        store.delete("acme", FunctionName.of("f4"));
        store.deleteTenant("bob");
        store.put(spec("carol", 5));
        // No close: a crash after the last force.

        List<FunctionSpec> loaded = new FunctionStore(dataDir).load();
        assertEquals(Set.of("acme/f1", "carol/f5"), names(loaded));
    }

    @Test
    void aTornLastRecordIsCutOffAndLaterChangesStillCount() throws IOException {
        var store = new FunctionStore(dataDir);
        store.load();
        store.put(spec("acme", 1));
        store.put(spec("acme", 2));
        store.close();
        long whole = Files.size(journal());
        byte[] bytes = Files.readAllBytes(journal());
        Files.write(journal(), java.util.Arrays.copyOf(bytes, bytes.length - 5)); // a crash mid-append of f2

        var reopened = new FunctionStore(dataDir);
        assertEquals(Set.of("acme/f1"), names(reopened.load()));
        assertTrue(Files.size(journal()) < whole, "the torn record was cut off");
        reopened.put(spec("acme", 3));
        reopened.close();
        assertEquals(Set.of("acme/f1", "acme/f3"), names(new FunctionStore(dataDir).load()));

        // A flipped byte inside the last record fails its checksum the same way.
        bytes = Files.readAllBytes(journal());
        bytes[bytes.length - 3] ^= 0x20;
        Files.write(journal(), bytes);
        assertEquals(Set.of("acme/f1"), names(new FunctionStore(dataDir).load()));
    }

    @Test
    void replayingChangesTheSnapshotAlreadyHoldsChangesNothing() throws IOException {
        var store = new FunctionStore(dataDir);
        store.load();
        store.put(spec("acme", 1));
        store.put(spec("acme", 2));
        store.delete("acme", FunctionName.of("f1"));
        byte[] journalBefore = Files.readAllBytes(journal());
        store.save(List.of(spec("acme", 2)));
        store.close();
        // A crash between writing the snapshot and emptying the journal.
        Files.write(journal(), journalBefore, StandardOpenOption.TRUNCATE_EXISTING);
        assertEquals(Set.of("acme/f2"), names(new FunctionStore(dataDir).load()));
    }

    @Test
    void aCleanStopFoldsTheJournalIntoTheSnapshot() throws IOException {
        var settings = new SchedulerSettings(1, 1, 8, 64 << 10, 4 << 10, 2L << 20);
        FunctionSpec spec;
        try (var scheduler = LocalScheduler.open(settings, dataDir, java.time.InstantSource.fixed(Instant.EPOCH))) {
            spec = scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of("hello"),
                    dev.sluice.scheduler.testing.TestModules.load("hello"), 16, 10_000, 1 << 20, 1_000_000)).spec();
            assertTrue(Files.size(journal()) > 0, "the deploy was journalled");
            assertFalse(Files.exists(dataDir.resolve("functions.json")), "not rewritten per deploy");
        }
        assertEquals(0, Files.size(journal()));
        assertTrue(Files.readString(dataDir.resolve("functions.json")).contains(spec.digest()));
        try (var scheduler = LocalScheduler.open(settings, dataDir, java.time.InstantSource.fixed(Instant.EPOCH))) {
            assertEquals(List.of(spec), scheduler.functions().list("acme"));
        }
    }
}
