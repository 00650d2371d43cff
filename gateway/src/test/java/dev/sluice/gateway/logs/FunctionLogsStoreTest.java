package dev.sluice.gateway.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The store's bounds where driving them through HTTP would take thousands of calls: a tenant spreading entries over
 * many functions stays within its bytes, another tenant keeps its own, and a cut never splits a UTF-8 character.
 */
class FunctionLogsStoreTest {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    private final LogLimits limits = new LogLimits(100, 8192, 1 << 20, Duration.ofHours(1), 4, Duration.ofMinutes(10),
            Duration.ofSeconds(15));
    private final FunctionLogs logs = FunctionLogs.create(limits, now::get);

    @Test
    void aTenantWritingFullEntriesToThousandsOfFunctionsStaysWithinItsBytesAndLeavesOthersAlone() {
        byte[] stderr = "x".repeat(100_000).getBytes(StandardCharsets.UTF_8);
        logs.record("victim", "f", "v-1", 200, "completed", 1, 1, "hello".getBytes(StandardCharsets.UTF_8));
        long victimBytes = logs.bytes("victim");
        for (int i = 0; i < 5_000; i++) {
            now.updateAndGet(t -> t.plusMillis(1));
            logs.record("hostile", "f" + i, "id-" + i, 200, "completed", 1, 1, stderr);
            assertTrue(logs.bytes("hostile") <= limits.bytesPerTenant(), "over the cap after " + i);
        }
        // Each entry is cut to 8 KiB and costs 256 + 2 * 8192: the cap holds the newest 63.
        int held = (int) (limits.bytesPerTenant() / (LogEntry.OVERHEAD_BYTES + 2L * 8192));
        assertEquals(1, logs.entries("hostile", "f" + 4_999).size());
        assertEquals(1, logs.entries("hostile", "f" + (5_000 - held)).size());
        assertEquals(0, logs.entries("hostile", "f" + (5_000 - held - 1)).size());
        assertEquals(victimBytes, logs.bytes("victim"));
        assertEquals(List.of("v-1"), logs.entries("victim", "f").stream().map(LogEntry::invocationId).toList());
    }

    /** Expiry walks the rings only when an entry may be old enough; entries of every function still go on time. */
    @Test
    void entriesOlderThanTheRetentionGoFromEveryFunctionAndTheirBytesWithThem() {
        byte[] none = new byte[0];
        logs.record("acme", "a", "a-1", 200, "completed", 1, 1, none);
        now.updateAndGet(t -> t.plus(Duration.ofMinutes(20)));
        logs.record("acme", "b", "b-1", 200, "completed", 1, 1, none);
        now.updateAndGet(t -> t.plus(Duration.ofMinutes(20)));
        logs.record("acme", "a", "a-2", 200, "completed", 1, 1, none);
        long three = logs.bytes("acme");
        now.updateAndGet(t -> t.plus(Duration.ofMinutes(21)));   // a-1 is 61 minutes old, b-1 41
        logs.record("acme", "c", "c-1", 200, "completed", 1, 1, none);
        assertEquals(List.of("a-2"), logs.entries("acme", "a").stream().map(LogEntry::invocationId).toList());
        assertEquals(List.of("b-1"), logs.entries("acme", "b").stream().map(LogEntry::invocationId).toList());
        assertEquals(three, logs.bytes("acme"), "one entry went, one came");
        now.updateAndGet(t -> t.plus(Duration.ofMinutes(20)));   // b-1 is 61 minutes old
        assertEquals(List.of(), logs.entries("acme", "b"));
        now.updateAndGet(t -> t.plus(Duration.ofHours(2)));
        assertEquals(List.of(), logs.entries("acme", "c"));
        assertEquals(0, logs.bytes("acme"), "every entry expired");
    }

    @Test
    void concurrentRecordersKeepTheRingAndTheCountExact() throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 1_000; i++) {
                    logs.record("acme", "f", thread + "-" + i, 200, "completed", 1, 1, new byte[10]);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(100, logs.entries("acme", "f").size());
        assertEquals(100L * (LogEntry.OVERHEAD_BYTES + 20), logs.bytes("acme"));
    }

    @Test
    void aCutNeverSplitsAUtf8Character() {
        byte[] euro = "€€€".getBytes(StandardCharsets.UTF_8); // three bytes each
        assertEquals(3, FunctionLogs.cut(euro, 4));
        assertEquals(3, FunctionLogs.cut(euro, 5));
        assertEquals(6, FunctionLogs.cut(euro, 6));
        assertEquals(9, FunctionLogs.cut(euro, 100));
        LogEntry entry = logs.record("acme", "f", "id", 200, "completed", 0, 0, "😀".repeat(3000).getBytes(
                StandardCharsets.UTF_8));
        assertTrue(entry.truncated());
        assertEquals("😀".repeat(2048), entry.stderr());
        LogEntry invalid = logs.record("acme", "f", "id2", 200, "completed", 0, 0, new byte[] {'a', (byte) 0xff});
        assertEquals("a\uFFFD", invalid.stderr());
        assertFalse(invalid.truncated());
    }

    @Test
    void streamSlotsAreCountedPerTenantAndFreedOnce() {
        List<FunctionLogs.Slot> slots = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slots.add(logs.openStream("acme").orElseThrow());
        }
        assertTrue(logs.openStream("acme").isEmpty());
        assertTrue(logs.openStream("initech").isPresent());
        slots.getFirst().close();
        slots.getFirst().close();
        assertTrue(logs.openStream("acme").isPresent());
        assertTrue(logs.openStream("acme").isEmpty());
    }
}
