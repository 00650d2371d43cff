package dev.sluice.config.live;

import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the live configuration tests set up the same way: a fake clock, a scheduler the test runs by hand, a recording
 * listener, the live configuration's log, and closing it all after each test (the root log level put back).
 */
abstract class LiveConfigCase {
    @TempDir
    Path dir;

    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-29T02:00:00Z"));
    final InstantSource clock = () -> now.get();
    final ManualScheduler scheduler = new ManualScheduler();
    final RecordingListener listener = new RecordingListener();
    private final Level rootLevel = Logger.getLogger("").getLevel();
    final LogRecords log = new LogRecords();
    /** The configuration file the test started from. */
    Path file;
    /** The live configuration the test started, closed after it. */
    LiveConfig live;

    @AfterEach
    final void closeLive() {
        if (live != null) {
            live.close();
        }
        log.close();
        Logger.getLogger("").setLevel(rootLevel);
    }
}
