package dev.sluice.config.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.testing.VaultTestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The polled mirror of {@code secret/sluice/}: what each poll returns, and which requests it costs. */
class PolledMirrorTest extends VaultServerCase {
    private DriverSession session;
    private VaultMirror mirror;

    @BeforeEach
    void start() {
        session = tokenSession();
        mirror = session.mirror();
        vault.put("secret/sluice/config", Map.of("default-burst", "40"));
        vault.put("secret/sluice/plans/free", Map.of("rate-per-second", "5"));
        vault.put("secret/sluice/plans/pro", Map.of("rate-per-second", "50"));
        vault.put("secret/sluice/tenants/acme", Map.of("plan", "pro"));
        vault.put("secret/sluice/keys/acme/0123456789abcdef", Map.of("sha256", "00"));
        vault.put("secret/sluice/secrets/acme.00/hello/TOKEN", Map.of("value", "s3cret"));
        vault.put("secret/other/config", Map.of("x", "1"));
    }

    @Test
    void aPollHoldsEveryPathOfTheFolderButSecretsAndNothingOutside() {
        VaultTree tree = mirror.poll();
        assertEquals(List.of("config", "keys/acme/0123456789abcdef", "plans/free", "plans/pro", "tenants/acme"),
                List.copyOf(tree.entries().keySet()));
        assertEquals("{\"rate-per-second\":\"50\"}", tree.entries().get("plans/pro").dataJson());
        assertEquals("sluice/plans/pro", tree.entries().get("plans/pro").path());
        assertEquals(0, vault.count("LIST", "secret/metadata/sluice/secrets"));
        assertEquals(0, vault.count("GET", "secret/metadata/sluice/secrets"));
        assertEquals(0, vault.count("GET", "secret/data/sluice/secrets"));
    }

    @Test
    void anUnchangedPollCostsOneListPerFolderAndOneMetadataReadPerPathAndReadsNoData() {
        VaultTree first = mirror.poll();
        vault.resetRequests();
        VaultTree second = mirror.poll();
        assertTrue(second.sameVersions(first));
        assertSame(first.entries().get("plans/pro"), second.entries().get("plans/pro"), "entry reused");
        assertEquals(0, vault.count("GET", "secret/data/"), vault.requests().toString());
        assertEquals(5, vault.count("GET", "secret/metadata/"));
        // sluice/, keys/, keys/acme/, plans/, tenants/
        assertEquals(5, vault.count("LIST", "secret/metadata/"));
        assertEquals(10, vault.requests().size(), vault.requests().toString());
    }

    @Test
    void aChangedPathIsReadAgainAndOnlyIt() {
        mirror.poll();
        vault.put("secret/sluice/plans/pro", Map.of("rate-per-second", "60"));
        vault.resetRequests();
        VaultTree tree = mirror.poll();
        assertEquals(2, tree.entries().get("plans/pro").version());
        assertEquals("{\"rate-per-second\":\"60\"}", tree.entries().get("plans/pro").dataJson());
        assertEquals(1, vault.count("GET", "secret/data/"));
        assertEquals(1, vault.count("GET", "secret/data/sluice/plans/pro"));
    }

    @Test
    void aNewPathAppearsAndDeletedOrDestroyedPathsDisappear() {
        mirror.poll();
        vault.put("secret/sluice/tenants/globex", Map.of("plan", "free"));
        vault.softDelete("secret/sluice/plans/free");
        session.kv().destroy("sluice/keys/acme/0123456789abcdef");
        VaultTree tree = mirror.poll();
        assertEquals(List.of("config", "plans/pro", "tenants/acme", "tenants/globex"),
                List.copyOf(tree.entries().keySet()));
    }

    @Test
    void aFailureMidPollThrowsAndTheNextPollSeesTheWholeTree() {
        VaultTree before = mirror.poll();
        vault.put("secret/sluice/plans/pro", Map.of("rate-per-second", "60"));
        vault.failNext("secret/metadata/sluice/tenants/acme", 500);
        assertThrows(VaultException.Unavailable.class, mirror::poll);
        vault.failNext("secret/data/sluice/plans/pro", 503);
        assertThrows(VaultException.Unavailable.class, mirror::poll);
        vault.failNext("secret/metadata/sluice/keys/", 500);
        assertThrows(VaultException.Unavailable.class, mirror::poll, "a failed list too");
        VaultTree after = mirror.poll();
        assertEquals(before.entries().keySet(), after.entries().keySet());
        assertEquals(2, after.entries().get("plans/pro").version());
    }

    @Test
    void aSealedVaultFailsThePollAsSealed() {
        mirror.poll();
        vault.seal();
        assertThrows(VaultException.Sealed.class, mirror::poll);
        vault.unseal();
        assertEquals(5, mirror.poll().entries().size());
    }

    @Test
    void aNameTheClientCannotAddressIsSkippedNotFatal() {
        vault.put("secret/sluice/plans/bad name", Map.of("x", "1"));
        VaultTree tree = mirror.poll();
        assertFalse(tree.entries().containsKey("plans/bad name"));
        assertTrue(tree.entries().containsKey("plans/pro"));
    }

    @Test
    void anEmptyOrMissingFolderIsAnEmptyTree() {
        VaultFixture other = new VaultFixture();
        try (VaultTestServer empty = VaultTestServer.start(other.clock);
                DriverSession s = other.tokenSession(empty, dir)) {
            assertEquals(VaultTree.EMPTY.entries(), s.mirror().poll().entries());
        }
    }

    /**
     * The closing note's number: an unchanged poll of 100 paths, counted in requests and timed, with 5 ms of
     * latency per answer to stand for a network round trip, against the same metadata reads one after another.
     */
    @Test
    void unchangedPollOfAHundredPathsCostsAListPerFolderAndAMetadataReadPerPath() {
        try (VaultTestServer big = VaultTestServer.start(f.clock); DriverSession s = f.tokenSession(big, dir)) {
            for (int i = 0; i < 20; i++) {
                big.put("secret/sluice/plans/plan-" + i, Map.of("rate-per-second", Integer.toString(i)));
                big.put("secret/sluice/tenants/tenant-" + i, Map.of("plan", "plan-" + i));
                for (int k = 0; k < 3; k++) {
                    big.put("secret/sluice/keys/tenant-" + i + "/" + String.format("%016x", i * 10 + k),
                            Map.of("sha256", "00"));
                }
            }
            VaultMirror m = s.mirror();
            assertEquals(100, m.poll().entries().size());
            for (long latencyMs : new long[] {0, 5}) {
                big.latency(Duration.ofMillis(latencyMs));
                m.poll(); // warm
                long[] pollMs = new long[5];
                long[] serialMs = new long[5];
                long lists = 0;
                for (int run = 0; run < pollMs.length; run++) {
                    big.resetRequests();
                    long start = System.nanoTime();
                    VaultTree tree = m.poll();
                    pollMs[run] = (System.nanoTime() - start) / 1_000_000;
                    assertEquals(100, tree.entries().size());
                    assertEquals(0, big.count("GET", "secret/data/"));
                    assertEquals(100, big.count("GET", "secret/metadata/"));
                    lists = big.count("LIST", "secret/metadata/");
                    assertEquals(24, lists, "sluice/, plans/, tenants/, keys/ and 20 key folders");
                    assertEquals(124, big.requests().size());
                    long serialStart = System.nanoTime();
                    for (String path : tree.entries().keySet()) {
                        s.kv().metadata("sluice/" + path);
                    }
                    serialMs[run] = (System.nanoTime() - serialStart) / 1_000_000;
                }
                java.util.Arrays.sort(pollMs);
                java.util.Arrays.sort(serialMs);
                System.out.printf("unchanged poll, 100 paths, %d ms latency: %d requests (%d lists + 100 metadata "
                        + "reads, 0 data reads); median of 5 polls %d ms (min %d) with %d at once; the 100 metadata "
                        + "reads alone one by one: median %d ms (min %d)%n", latencyMs, lists + 100, lists,
                        pollMs[2], pollMs[0], DriverSession.POOL_SIZE, serialMs[2], serialMs[0]);
            }
        }
    }
}
