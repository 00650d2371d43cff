package dev.sluice.config.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.config.secrets.SecretName;
import dev.sluice.config.secrets.SecretValue;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Review r1 #9: one values() read is a list and one request per secret, run concurrently, and stays correct. */
class SecretsReadTest extends VaultServerCase {
    private static final String OWNER = "uid-1";

    private DriverSession session;
    private FunctionSecrets secrets;

    @BeforeEach
    void start() {
        session = tokenSession();
        secrets = VaultFunctionSecrets.create(session.kv(), "sluice", f.clock);
    }

    private Map<String, String> putMany(int n) {
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < n; i++) {
            secrets.put(OWNER, "fn", SecretName.of("K" + i), SecretValue.of("value-" + i));
            expected.put("K" + i, "value-" + i);
        }
        return expected;
    }

    @Test
    void valuesOfSixtyFourSecretsIsAListAndOneReadEach() {
        Map<String, String> expected = putMany(64);
        long before = vault.requests().size();
        assertEquals(expected, secrets.values(OWNER, "fn"));
        assertEquals(1 + 64, vault.requests().size() - before, "a list and one data read per secret");
        assertEquals(0, vault.count("GET", "secret/metadata/sluice/secrets/"), "no separate metadata read");
    }

    @Test
    void theReadsOfOneFunctionOverlap() {
        Map<String, String> expected = putMany(24);
        vault.latency(Duration.ofMillis(100));
        long start = System.nanoTime();
        assertEquals(expected, secrets.values(OWNER, "fn"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        // One after another, 25 answers of 100 ms each take at least 2.5 s; eight at a time about 0.4 s.
        assertTrue(took.compareTo(Duration.ofMillis(1_800)) < 0, "24 secrets read in " + took.toMillis() + " ms");
    }

    @Test
    void aDeletedOrRewrittenSecretReadsAsItIsNow() {
        putMany(3);
        secrets.put(OWNER, "fn", SecretName.of("K1"), SecretValue.of("rotated"));
        vault.softDelete("secret/sluice/secrets/" + OWNER + "/fn/K2");
        assertEquals(Map.of("K0", "value-0", "K1", "rotated"), secrets.values(OWNER, "fn"));
        assertEquals(Map.of(), secrets.values(OWNER, "other"));
    }
}
