package dev.sluice.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalTest {
    @TempDir
    Path dir;

    static List<String> replayed(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        long[] last = {0};
        Journal.open(dir, "t", 0, e -> {
            assertEquals(last[0] + 1, e.seq(), "seqs replay in order without gaps");
            last[0] = e.seq();
            out.add(new String(e.payload(), StandardCharsets.UTF_8));
        }).close();
        return out;
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    Path onlySegment(Path in) throws IOException {
        try (var files = Files.list(in)) {
            List<Path> segments = files.filter(p -> p.toString().endsWith(".journal")).toList();
            assertEquals(1, segments.size(), segments.toString());
            return segments.getFirst();
        }
    }

    @Test
    void appendedRecordsReplayInOrderAfterReopen() throws IOException {
        try (Journal journal = Journal.open(dir, "t", 0, e -> {})) {
            assertEquals(1, journal.append(bytes("one")));
            assertEquals(2, journal.append(bytes("two")));
            assertEquals(3, journal.append(bytes("")));
        }
        assertEquals(List.of("one", "two", ""), replayed(dir));
        try (Journal journal = Journal.open(dir, "t", 0, e -> {})) {
            assertEquals(4, journal.append(bytes("four")), "appends continue after the last record");
        }
        assertEquals(List.of("one", "two", "", "four"), replayed(dir));
    }

    /** A crash can stop the last write at any byte: every such cut reopens as the records before it, and no more. */
    @Test
    void aRecordCutAtAnyByteIsDroppedWholeAndTheJournalGoesOn() throws IOException {
        long before;
        try (Journal journal = Journal.open(dir, "t", 0, e -> {})) {
            journal.append(bytes("{\"first\":1}"));
            journal.append(bytes("{\"second\":2}"));
            before = journal.segmentBytes();
            journal.append(bytes("{\"third\":3, \"padding\":\"" + "x".repeat(40) + "\"}"));
        }
        Path segment = onlySegment(dir);
        byte[] whole = Files.readAllBytes(segment);
        for (long cut = before; cut < whole.length; cut++) {
            Path copy = Files.createDirectories(dir.resolve("cut-" + cut));
            Path file = copy.resolve(segment.getFileName());
            Files.write(file, java.util.Arrays.copyOf(whole, (int) cut));

            assertEquals(List.of("{\"first\":1}", "{\"second\":2}"), replayed(copy), "cut at " + cut);
            assertEquals(before, Files.size(file), "the torn tail is truncated, cut at " + cut);
            try (Journal journal = Journal.open(copy, "t", 0, e -> {})) {
                assertEquals(3, journal.append(bytes("again")));
            }
            assertEquals(List.of("{\"first\":1}", "{\"second\":2}", "again"), replayed(copy), "cut at " + cut);
        }
        assertEquals(3, replayed(dir).size(), "the uncut journal keeps all three");
    }

    @Test
    void aFlippedByteInTheLastRecordFailsItsCrcAndDropsIt() throws IOException {
        long before;
        try (Journal journal = Journal.open(dir, "t", 0, e -> {})) {
            journal.append(bytes("kept"));
            before = journal.segmentBytes();
            journal.append(bytes("damaged"));
        }
        Path segment = onlySegment(dir);
        byte[] bytes = Files.readAllBytes(segment);
        bytes[(int) before + Journal.HEADER + 2] ^= 0x20;
        Files.write(segment, bytes);

        assertEquals(List.of("kept"), replayed(dir));
    }

    @Test
    void damageInAnOlderSegmentFailsOpenNamingIt() throws IOException {
        try (Journal journal = Journal.open(dir, "t", 0, e -> {})) {
            journal.append(bytes("old"));
            journal.roll();
            journal.append(bytes("new"));
        }
        Path first;
        try (var files = Files.list(dir)) {
            first = files.filter(p -> p.toString().endsWith(".journal")).min(Comparator.naturalOrder()).orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(first);
        bytes[Journal.HEADER] ^= 0x20;
        Files.write(first, bytes);

        IOException failure = assertThrows(IOException.class,
                () -> replayed(dir));
        assertTrue(failure.getMessage().contains(first.getFileName().toString()), failure.getMessage());
        assertTrue(failure.getMessage().contains("CRC"), failure.getMessage());
    }

    @Test
    void rollStartsASegmentAndDeleteThroughDropsOnlyCoveredOnes() throws IOException {
        try (Journal journal = Journal.open(dir, "t", 0, e -> {})) {
            journal.append(bytes("a"));
            journal.append(bytes("b"));
            assertEquals(2, journal.roll());
            assertEquals(2, journal.roll(), "an empty segment is not rolled again");
            journal.append(bytes("c"));
            journal.deleteThrough(2);
            assertEquals(3, journal.lastSeq());
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of("t.00000000000000000003.journal"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        List<Long> seqs = new ArrayList<>();
        Journal.open(dir, "t", 2, e -> seqs.add(e.seq())).close();
        assertEquals(List.of(3L), seqs);
    }

    @Test
    void aJournalMissingItsRecordsContinuesAfterTheSnapshotSeq() throws IOException {
        try (Journal journal = Journal.open(dir, "t", 41, e -> {})) {
            assertEquals(42, journal.append(bytes("after the snapshot")));
        }
        List<Long> seqs = new ArrayList<>();
        Journal.open(dir, "t", 41, e -> seqs.add(e.seq())).close();
        assertEquals(List.of(42L), seqs);
    }

    @Test
    void concurrentAppendersEachGetADistinctSeqAndEveryRecordIsReplayed() throws Exception {
        int threads = 8;
        int each = 100;
        ConcurrentLinkedQueue<Long> seqs = new ConcurrentLinkedQueue<>();
        try (Journal journal = Journal.open(dir, "t", 0, e -> {});
             ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            CountDownLatch start = new CountDownLatch(threads);
            List<Callable<Void>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                writers.add(() -> {
                    start.countDown();
                    start.await(); // all writers at once, so appends meet a force under way and queue up
                    for (int i = 0; i < each; i++) {
                        seqs.add(journal.append(bytes(id + ":" + i)));
                    }
                    return null;
                });
            }
            for (Future<Void> writer : pool.invokeAll(writers)) {
                writer.get(); // a writer's failure fails the test, with its cause
            }
        }
        Set<Long> distinct = new HashSet<>(seqs);
        assertEquals(threads * each, distinct.size());
        assertEquals(threads * each, java.util.Collections.max(distinct));
        List<String> records = replayed(dir);
        assertEquals(threads * each, records.size());
        assertEquals(threads * each, new HashSet<>(records).size(), "every record once");
    }

    @Test
    void segmentsAreOwnerOnly() throws IOException {
        Journal.open(dir, "t", 0, e -> {}).close();
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(onlySegment(dir))));
    }

    @Test
    void anAppendAfterCloseFailsAndIsNotInTheJournal() throws IOException {
        Journal journal = Journal.open(dir, "t", 0, e -> {});
        journal.append(bytes("in"));
        journal.close();

        assertThrows(IOException.class, () -> journal.append(bytes("out")));
        assertEquals(List.of("in"), replayed(dir));
    }
}
