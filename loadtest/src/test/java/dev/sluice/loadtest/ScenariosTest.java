package dev.sluice.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * answered 200 (a second or less per run; latency is reported, never asserted here). The quota scenario runs its own
 * three {@code sluice serve} processes on a real Redis; the cross-check needs {@code h2load} on the PATH.
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
    void manyTenantsShareOneLoadEvenlyAndTheSpreadRanksTheirP99s(@TempDir Path dir) throws Exception {
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dir.toString()));
        try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of("t")).start()) {
            URI base = URI.create("http://127.0.0.1:" + sluice.port());
            Scenarios scenarios = Scenarios.against(base, "t", "many", Map.of("tenants", "4", "rate", "40",
                    "warmup", "0.2", "duration", "1"));

            List<LoadResult> whole = scenarios.run("many");
            assertEquals(1, whole.size());
            assertEquals(40, whole.getFirst().count(), LoadResult.table(whole));
            assertEquals(Map.of(), whole.getFirst().errors(), LoadResult.table(whole));
            TenantSpread spread = (TenantSpread) scenarios.extra.get("spread");
            assertEquals(4, spread.tenants().size(), spread.describe());
            assertEquals(4, spread.tenants().stream().map(LoadResult::name).distinct().count(),
                    "each tenant its own: " + spread.describe());
            for (LoadResult tenant : spread.tenants()) {
                assertEquals(10, tenant.count(), "every tenant gets its share: " + spread.describe());
                assertEquals(Map.of(), tenant.errors(), spread.describe());
            }
            assertEquals(40, spread.tenants().stream().mapToLong(r -> r.latencies().getTotalCount()).sum());
            assertTrue(spread.worst().millis(99) >= spread.median().millis(99), spread.describe());
            assertTrue(spread.median().millis(99) >= spread.best().millis(99), spread.describe());
            // The whole load's slowest call is some tenant's slowest (2 significant digits per tenant: within 1 %).
            assertEquals(whole.getFirst().millis(100), spread.tenants().stream().mapToDouble(r -> r.millis(100))
                    .max().orElseThrow(), whole.getFirst().millis(100) / 50);
        }
    }

    @Test
    void crosscheckRunsThisToolAndH2loadAtTheSameRateAgainstTheSameServer(@TempDir Path dir) throws Exception {
        assertTrue(H2Load.find().isPresent(), "h2load on the PATH (Debian package nghttp2-client; .ci/run installs"
                + " it)");
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dir.toString()));
        try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of("t")).start()) {
            URI base = URI.create("http://127.0.0.1:" + sluice.port());
            List<LoadResult> results = Scenarios.run(base, "t", "crosscheck", Map.of("rate", "40",
                    "h2load-clients", "1,4", "warmup", "0.2", "duration", "1"));

            assertEquals(List.of("this tool (open loop)", "h2load --h1 --rps 40 -c 1", "h2load --h1 --rps 10 -c 4"),
                    results.stream().map(LoadResult::name).toList());
            for (LoadResult result : results) {
                assertEquals(40, result.count(), LoadResult.table(results));
                assertEquals(Map.of(), result.errors(), LoadResult.table(results));
                assertEquals(40, result.latencies().getTotalCount(), LoadResult.table(results));
            }
        }
    }

    @Test
    void serverSettingsReachTheInProcessSluiceAndItsConfigurationValidatesThem(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("hello.json");
        Scenarios.main(new String[] {"hello", "--rate", "20", "--warmup", "0.2", "--duration", "0.5",
                "--server", "workers=3", "--server", "tenant-max-concurrency=1", "--json", json.toString()});
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        String target = root.get("settings").get("target").asText();
        assertTrue(target.contains("workers=3, tenant-max-concurrency=1"), target);
        assertEquals("3", root.get("settings").get("server.workers").asText());
        assertEquals(10, root.get("results").get(0).get("count").asLong());

        Exception unknown = assertThrows(Exception.class, () -> Scenarios.main(new String[] {"hello", "--duration",
                "0.5", "--server", "no-such-key=1", "--json", json.toString()}));
        assertTrue(unknown.getMessage().contains("unknown key no-such-key"), unknown.getMessage());
        IllegalArgumentException fixed = assertThrows(IllegalArgumentException.class, () -> Scenarios.main(
                new String[] {"hello", "--server", "port=80"}));
        assertEquals("--server port: set by this tool (expected: another key)", fixed.getMessage());
        IllegalArgumentException remote = assertThrows(IllegalArgumentException.class, () -> Scenarios.main(
                new String[] {"hello", "--url", "http://127.0.0.1:1", "--admin-token", "t", "--otlp-sink"}));
        assertTrue(remote.getMessage().contains("not with --url"), remote.getMessage());
    }

    /** Three separate JVMs and a redis-server start in this test: about 10 s on a quiet 2-core machine. */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void threeServeProcessesOnOneRedisAdmitAQuotaOnceAndRefuseTheRestWith429() throws Exception {
        // 20 calls a second through each process: the quota lasts about 1.7 s of the 3, so every process, even one
        // stalled for a second on a busy machine, still gets some of it.
        List<LoadResult> results = Scenarios.quota(Map.of("quota", "100", "rate", "60", "duration", "3"), Map.of());

        assertEquals(3, results.size());
        long attempts = results.stream().mapToLong(LoadResult::count).sum();
        assertEquals(180, attempts, LoadResult.table(results));
        long admitted = Scenarios.admitted(results);
        assertTrue(Math.abs(admitted - 100) <= 1, "admitted " + admitted + " of 100: " + LoadResult.table(results));
        long refused = results.stream().mapToLong(r -> r.errors().getOrDefault("429", 0L)).sum();
        assertEquals(attempts - admitted, refused, LoadResult.table(results));
        results.forEach(r -> assertTrue(r.count() - r.errorCount() > 0, "every gateway admitted some: "
                + LoadResult.table(results)));
    }
}
