package dev.sluice.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.Sluice;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The noisy-neighbours tool works end to end (a few calls per phase; latency is reported, never asserted here). */
class NoisyNeighboursTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void measuresTheVictimAloneAndBesideEachPairOfHostileTenants(@TempDir Path dir) throws Exception {
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dir.toString()));
        try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of("t")).start()) {
            List<NoisyNeighbours.Phase> phases = new NoisyNeighbours(URI.create("http://127.0.0.1:" + sluice.port()),
                    "t").phases(10, 2, 10, 4, 500);

            assertEquals(List.of("alone", "beside 2 sleeper tenants", "beside 2 loop tenants",
                    "beside sleepers + loops", "alone, after"), phases.stream().map(NoisyNeighbours.Phase::name).toList());
            for (NoisyNeighbours.Phase phase : phases) {
                assertEquals(10, phase.victim().count(), phase.summary());
                assertEquals(0, phase.failed(), "every victim call succeeds: " + phase.summary());
            }
            assertTrue(phases.getFirst().hostileAnswers().isEmpty());
            assertTrue(phases.getLast().hostileAnswers().isEmpty());
            phases.subList(1, phases.size() - 1).forEach(phase -> assertTrue(phase.hostileAnswers().getOrDefault(504, 0) > 0,
                    "the hostile tenants ran calls to their timeout: " + phase.summary()));
        }
    }
}
