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

/**
 * The scenarios set up their tenants and functions through the API of a real Sluice and every call they send is
 * answered 200 (a second or less per run; latency is reported, never asserted here).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScenariosTest {
    private static final Map<String, String> BRIEF = Map.of("rate", "20", "warmup", "0.2", "duration", "0.5",
            "flood-clients", "2");

    @Test
    void echoAndNoisyNeighbourRunEndToEndWithoutErrors(@TempDir Path dir) throws Exception {
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dir.toString()));
        try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of("t")).start()) {
            URI base = URI.create("http://127.0.0.1:" + sluice.port());

            List<LoadResult> echo = Scenarios.run(base, "t", "echo", BRIEF);
            assertEquals(1, echo.size());
            assertEquals(10, echo.getFirst().count(), LoadResult.table(echo));
            assertEquals(Map.of(), echo.getFirst().errors(), LoadResult.table(echo));

            List<LoadResult> noisy = Scenarios.run(base, "t", "noisy", BRIEF);
            assertEquals(List.of("victim alone", "victim beside 1 flooder", "  flooder 1 (spin, beside 1)",
                    "victim beside 2 flooders", "  flooder 1 (spin, beside 2)", "  flooder 2 (spin, beside 2)"),
                    noisy.stream().map(LoadResult::name).toList());
            for (LoadResult result : noisy) {
                assertEquals(Map.of(), result.errors(), LoadResult.table(noisy));
                assertTrue(result.count() > 0, LoadResult.table(noisy));
            }
        }
    }

    @Test
    void threeGatewaysOnOneRedisAdmitAQuotaOnceAndRefuseTheRestWith429() throws Exception {
        List<LoadResult> results = Scenarios.quota(Map.of("quota", "100", "rate", "150", "duration", "2"), Map.of());

        assertEquals(3, results.size());
        long attempts = results.stream().mapToLong(LoadResult::count).sum();
        assertEquals(300, attempts, LoadResult.table(results));
        long admitted = Scenarios.admitted(results);
        assertTrue(Math.abs(admitted - 100) <= 1, "admitted " + admitted + " of 100: " + LoadResult.table(results));
        long refused = results.stream().mapToLong(r -> r.errors().getOrDefault("429", 0L)).sum();
        assertEquals(attempts - admitted, refused, LoadResult.table(results));
        results.forEach(r -> assertTrue(r.count() - r.errorCount() > 0, "every gateway admitted some: "
                + LoadResult.table(results)));
    }
}
