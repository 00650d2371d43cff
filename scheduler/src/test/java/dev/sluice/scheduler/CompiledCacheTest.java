package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes of the on-disk compiled cache that the module cache's shutdown interrupts: {@code ModuleCache.close()}
 * interrupts its compile threads, so a write in progress ends in {@code ClosedByInterruptException}. That is the
 * shutdown working, not a fault: it was logged as {@code WARNING: cannot write compiled module ...: null}.
 */
class CompiledCacheTest {
    private static final String KEY = "sha256:" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
    private static final Logger SLUICE_LOG = Logger.getLogger("dev.sluice"); // held: JUL keeps loggers weakly

    @TempDir
    Path dataDir;

    private final List<LogRecord> warnings = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                synchronized (warnings) {
                    warnings.add(record);
                }
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void capture() {
        SLUICE_LOG.addHandler(capture);
    }

    @AfterEach
    void release() {
        SLUICE_LOG.removeHandler(capture);
        Thread.interrupted();
    }

    @Test
    void aWriteInterruptedByShutdownLeavesNoFileNoWarningAndKeepsTheInterrupt() throws Exception {
        CompiledCache cache = CompiledCache.open(dataDir);
        Path entry = cache.file(KEY).orElseThrow();

        Thread.currentThread().interrupt(); // as ModuleCache.close() does to its compile threads
        cache.putIfAbsent(KEY, new byte[] {1, 2, 3});

        assertTrue(Thread.interrupted(), "the compile thread still sees that it was told to stop");
        assertFalse(Files.exists(entry), "nothing half-written under the entry's name");
        try (Stream<Path> left = Files.list(entry.getParent())) {
            assertEquals(List.of(), left.toList(), "no temporary file left behind");
        }
        assertEquals(List.of(), warnings.stream().map(LogRecord::getMessage).toList());
        assertEquals(0, cache.writes());
    }

    @Test
    void anUninterruptedWriteIsStoredAndReadBack() {
        CompiledCache cache = CompiledCache.open(dataDir);

        cache.putIfAbsent(KEY, new byte[] {1, 2, 3});

        assertArrayEquals(new byte[] {1, 2, 3}, cache.get(KEY));
        assertEquals(1, cache.writes());
        assertEquals(List.of(), warnings.stream().map(LogRecord::getMessage).toList());
    }
}
