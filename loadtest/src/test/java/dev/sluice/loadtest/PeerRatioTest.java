package dev.sluice.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The peer-ratio tool works end to end (one short round; speed is reported, never asserted here). */
class PeerRatioTest {
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void drivesSluiceAndBareHelidonInTheirOwnProcessesAndChargesEachSomeCpuPerRequest(@TempDir Path dir)
            throws Exception {
        PeerRatio.Run run = PeerRatio.run(dir, "hello", 2, 1, Duration.ZERO, Duration.ZERO,
                Duration.ofSeconds(1));

        assertTrue(run.firstAnswers().get(PeerRatio.SLUICE).startsWith("200"), run.firstAnswers().toString());
        assertTrue(run.firstAnswers().get(PeerRatio.BARE).startsWith("200, 6 bytes hello\\n"),
                run.firstAnswers().toString());
        assertEquals(List.of(PeerRatio.SLUICE, PeerRatio.BARE),
                run.rounds().stream().map(PeerRatio.Round::server).toList(), "interleaved, Sluice first");
        for (PeerRatio.Round round : run.rounds()) {
            assertTrue(round.load().count() > 0, round.server() + " answered");
            assertEquals(0, round.load().errorCount(), round.server() + ": " + round.load().errors());
            assertTrue(round.cpuMicrosPerRequest() > 0, round.server() + " CPU per request: "
                    + round.cpuMicrosPerRequest());
        }
        String table = PeerRatio.table(run);
        assertTrue(table.contains("ratio sluice / bare"), table);
    }
}
