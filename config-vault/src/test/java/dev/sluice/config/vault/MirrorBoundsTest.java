package dev.sluice.config.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.testing.VaultTestServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review r1 #10: a poll reads at most a bounded number of paths; past it the poll fails and names why. */
class MirrorBoundsTest {
    private final VaultFixture f = new VaultFixture();
    @TempDir
    Path dir;

    @Test
    void moreThanTheCapFailsThePollWithoutReadingThem() {
        try (VaultTestServer vault = VaultTestServer.start(f.clock);
                DriverSession s = f.tokenSession(vault, dir)) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                PolledMirror mirror = new PolledMirror((DriverKv) s.kv(), "sluice", pool, 5);
                vault.put("secret/sluice/config", Map.of("a", "1"));
                vault.put("secret/sluice/plans/free", Map.of("b", "2"));
                assertEquals(2, mirror.poll().entries().size(), "under the cap: read whole");
                for (int i = 0; i < 6; i++) {
                    vault.put("secret/sluice/tenants/t" + i, Map.of("c", "3"));
                }
                vault.resetRequests();
                VaultException.Malformed e = assertThrows(VaultException.Malformed.class, mirror::poll);
                assertTrue(e.getMessage().contains("more than 5 paths and folders under sluice/"), e.getMessage());
                assertEquals(0, vault.count("GET", "secret/metadata/sluice/tenants/"), "no metadata read of them");
            } finally {
                pool.shutdownNow();
            }
            assertEquals(10_000, PolledMirror.MAX_PATHS);
        }
    }
}
