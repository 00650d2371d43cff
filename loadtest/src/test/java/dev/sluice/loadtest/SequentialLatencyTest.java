package dev.sluice.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.Sluice;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The latency tool works end to end (a handful of calls; speed is reported by the tool, never asserted here). */
class SequentialLatencyTest {
    @Test
    void measuresEveryCallAgainstARealServer(@TempDir Path dir) throws Exception {
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dir.toString()));
        try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of("t")).start()) {
            Percentiles latencies = SequentialLatency.run(URI.create("http://127.0.0.1:" + sluice.port()), "t", 20, 5);
            assertEquals(20, latencies.count());
            assertTrue(latencies.percentile(50) > 0);
            assertTrue(latencies.percentile(50) <= latencies.percentile(99));
        }
    }

    @Test
    void refusesNonLoopbackTargets() {
        assertThrows(IllegalArgumentException.class,
                () -> SequentialLatency.requireLoopback(URI.create("http://192.0.2.1:8080")));
    }

    @Test
    void percentilesUseNearestRank() {
        Percentiles p = new Percentiles(4);
        for (long v = 1; v <= 100; v++) {
            p.add(v);
        }
        assertEquals(50, p.percentile(50));
        assertEquals(99, p.percentile(99));
        assertEquals(100, p.percentile(100));
    }
}
