package dev.sluice.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer-ratio tool works end to end with the peers installed here (one short round; speed is reported, never
 * asserted here). workerd and Node.js join when present ({@link ScriptPeer}); without them the runs are Sluice's
 * and bare Helidon's alone.
 */
class PeerRatioTest {
    private static final boolean WORKERD = ScriptPeer.workerdBinary().isPresent();
    private static final boolean NODE = ScriptPeer.nodeBinary().isPresent();

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void helloDrivesTheDefaultPeersInTheirOwnProcessesAndWritesEachPeersMediansAndSluicesRatioOverIt(
            @TempDir Path dir) throws Exception {
        Path json = dir.resolve("result.json");
        List<String> expectedPeers = WORKERD ? List.of("sluice", "bare", "workerd") : List.of("sluice", "bare");

        PeerRatio.main(new String[] {"--scenario", "hello", "--clients", "2", "--rounds", "1", "--duration", "1",
            "--warmup", "0", "--initial-warmup", "0", "--json", json.toString()});

        JsonNode result = new ObjectMapper().readTree(json.toFile());
        assertEquals("peer-ratio-hello", result.path("scenario").asText(), result.toString());
        assertEquals(expectedPeers, names(result.path("peers")), "default peers");
        String sluice = result.path("first-answers").path("sluice").asText();
        assertTrue(sluice.startsWith("200, 7 bytes hello \\n, fuel "), "Sluice's, with the fuel it says: " + sluice);
        assertEquals("200, 6 bytes hello\\n", result.path("first-answers").path("bare").asText(), "bare's");
        List<String> order = new ArrayList<>();
        result.path("rounds").forEach(round -> {
            order.add(round.path("server").asText());
            assertTrue(round.path("count").asLong() > 0, round + " answered");
            assertEquals(0, round.path("errors").asLong(), round.toString());
            assertTrue(round.path("cpu-us-per-request").asDouble() > 0, round + " CPU per request");
        });
        assertEquals(expectedPeers, order, "one round each, Sluice first");
        assertEquals(expectedPeers, names(result.path("medians")), "a median per peer");
        assertEquals(expectedPeers.stream().skip(1).map(p -> "sluice/" + p).toList(), names(result.path("ratios")));
        JsonNode overBare = result.path("ratios").path("sluice/bare");
        assertEquals(result.path("medians").path("sluice").path("req-per-s").asDouble()
                / result.path("medians").path("bare").path("req-per-s").asDouble(),
                overBare.path("req-per-s").asDouble(), 1e-9, "ratio of req/s medians");
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void fibPrintsFib28ThroughSluiceWithFuelOnAndThroughEveryV8PeerInstalled(@TempDir Path dir) throws Exception {
        List<String> peers = PeerRatio.peers(null, "fib", WORKERD, NODE);

        PeerRatio.Run run = PeerRatio.run(dir, "fib", peers, 2, 1, Duration.ZERO, Duration.ZERO,
                Duration.ofSeconds(1));

        String sluice = run.firstAnswers().get(PeerRatio.SLUICE);
        assertTrue(sluice.startsWith("200, 7 bytes 317811\\n, fuel "), sluice);
        assertTrue(Long.parseLong(sluice.substring(sluice.lastIndexOf(' ') + 1)) > 1_000_000,
                "fib(28) is metered: " + sluice);
        for (String peer : peers) {
            assertTrue(run.firstAnswers().get(peer).startsWith("200, 7 bytes 317811\\n"), run.firstAnswers().toString());
        }
        assertEquals(peers, run.rounds().stream().map(PeerRatio.Round::server).toList());
        for (PeerRatio.Round round : run.rounds()) {
            assertTrue(round.load().count() > 0, round.server() + " answered");
            assertEquals(0, round.load().errorCount(), round.server() + ": " + round.load().errors());
            assertTrue(round.cpuMicrosPerRequest() > 0, round.server() + " CPU per request");
        }
        String table = PeerRatio.table(run);
        peers.stream().skip(1).forEach(peer -> assertTrue(table.contains("ratio sluice / " + peer), table));
    }

    @Test
    void peersDefaultToSluiceAndBarePlusWorkerdWhenInstalledAndFibTakesNodeInsteadOfBare() {
        assertEquals(List.of("sluice", "bare"), PeerRatio.peers(null, "hello", false, true));
        assertEquals(List.of("sluice", "bare", "workerd"), PeerRatio.peers(null, "echo", true, true));
        assertEquals(List.of("sluice", "node", "workerd"), PeerRatio.peers(null, "fib", true, true));
        assertEquals(List.of("sluice"), PeerRatio.peers(null, "fib", false, false));
        assertEquals(List.of("workerd", "sluice", "node"), PeerRatio.peers("workerd, sluice,node", "hello", true, true),
                "the order given is the order of each round");
    }

    @Test
    void peersRefusesUnknownRepeatedOrMissingPeersAndBareForFib() {
        assertEquals("peers: sluice,bare (expected for fib: no bare, which has no fib)",
                assertThrows(IllegalArgumentException.class, () -> PeerRatio.peers("sluice,bare", "fib", true, true))
                        .getMessage());
        assertEquals("peers: sluice,wasmtime (expected: distinct names of [sluice, bare, workerd, node])",
                assertThrows(IllegalArgumentException.class,
                        () -> PeerRatio.peers("sluice,wasmtime", "hello", true, true)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> PeerRatio.peers("sluice,bare,bare", "hello", true, true));
        assertEquals("peers: bare,workerd (expected: sluice among them)", assertThrows(IllegalArgumentException.class,
                () -> PeerRatio.peers("bare,workerd", "hello", true, true)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> PeerRatio.peers("sluice,workerd", "hello", false, true)).getMessage()
                .contains("workerd not found: npm install"));
        assertEquals("scenario: cpu (expected: one of [hello, echo, fib])",
                assertThrows(IllegalArgumentException.class, () -> PeerRatio.peers(null, "cpu", true, true))
                        .getMessage());
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(n -> names.add(n.asText()));
        } else {
            node.fieldNames().forEachRemaining(names::add);
        }
        return names;
    }
}
