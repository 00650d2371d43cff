package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: a change to the function index appends one record to the journal ({@code functions.<seq>.journal},
 * {@link dev.sluice.config.Journal}) instead of rewriting
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

    private List<Path> segments() throws IOException {
        try (var files = Files.list(dataDir)) {
            return files.filter(p -> p.getFileName().toString().matches("functions\\.\\d{20}\\.journal")).sorted()
                    .toList();
        }
    }

    /** Bytes in every journal segment. */
    private long journalBytes() throws IOException {
        long bytes = 0;
        for (Path segment : segments()) {
            bytes += Files.size(segment);
        }
        return bytes;
    }

    private Path onlySegment() throws IOException {
        List<Path> segments = segments();
        assertEquals(1, segments.size(), segments.toString());
        return segments.getFirst();
    }

    private static Set<String> names(List<FunctionSpec> specs) {
        return specs.stream().map(f -> f.tenant() + "/" + f.name().value()).collect(Collectors.toSet());
    }

    @Test
    void bytesWrittenPerChangeDoNotGrowWithTheFunctionsStored() throws IOException {
        var store = new FunctionStore(dataDir);
        store.load();
        store.put(spec("acme", 10_000));
        long first = journalBytes();
        List<FunctionSpec> many = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            many.add(spec("t" + (i % 50), 20_000 + i));
        }
        store.save(many); // 3 000 functions in the snapshot, the journal empty
        assertEquals(0, journalBytes());
        store.put(spec("acme", 10_001));
        assertEquals(first, journalBytes(), "one record of the same size, whatever is stored");
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
        Path segment = onlySegment();
        long whole = Files.size(segment);
        byte[] bytes = Files.readAllBytes(segment);
        Files.write(segment, java.util.Arrays.copyOf(bytes, bytes.length - 5)); // a crash mid-append of f2

        var reopened = new FunctionStore(dataDir);
        assertEquals(Set.of("acme/f1"), names(reopened.load()));
        assertTrue(Files.size(segment) < whole - 5, "the torn record was cut off");
        reopened.put(spec("acme", 3));
        reopened.close();
        assertEquals(Set.of("acme/f1", "acme/f3"), names(new FunctionStore(dataDir).load()));

        // A flipped byte inside the last record fails its checksum the same way.
        bytes = Files.readAllBytes(segment);
        bytes[bytes.length - 3] ^= 0x20;
        Files.write(segment, bytes);
        assertEquals(Set.of("acme/f1"), names(new FunctionStore(dataDir).load()));
    }

    @Test
    void replayingChangesTheSnapshotAlreadyHoldsChangesNothing() throws IOException {
        var store = new FunctionStore(dataDir);
        store.load();
        store.put(spec("acme", 1));
        store.put(spec("acme", 2));
        store.delete("acme", FunctionName.of("f1"));
        Path segment = onlySegment();
        byte[] journalBefore = Files.readAllBytes(segment);
        store.save(List.of(spec("acme", 2)));
        store.close();
        assertFalse(Files.exists(segment), "the snapshot covers it");
        // A crash between writing the snapshot and deleting the segment it covers.
        Files.write(segment, journalBefore);
        assertEquals(Set.of("acme/f2"), names(new FunctionStore(dataDir).load()));
    }

    @Test
    void aCleanStopFoldsTheJournalIntoTheSnapshot() throws IOException {
        var settings = new SchedulerSettings(1, 1, 8, 64 << 10, 4 << 10, 2L << 20);
        FunctionSpec spec;
        try (var scheduler = LocalScheduler.open(settings, dataDir, java.time.InstantSource.fixed(Instant.EPOCH))) {
            spec = scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of("hello"),
                    dev.sluice.scheduler.testing.TestModules.load("hello"), 16, 10_000, 1 << 20, 1_000_000)).spec();
            assertTrue(journalBytes() > 0, "the deploy was journalled");
            assertFalse(Files.exists(dataDir.resolve("functions.json")), "not rewritten per deploy");
        }
        assertEquals(0, journalBytes());
        assertTrue(Files.readString(dataDir.resolve("functions.json")).contains(spec.digest()));
        try (var scheduler = LocalScheduler.open(settings, dataDir, java.time.InstantSource.fixed(Instant.EPOCH))) {
            assertEquals(List.of(spec), scheduler.functions().list("acme"));
        }
    }
}
