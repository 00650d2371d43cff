package dev.sluice.config.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.testing.VaultTestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link VaultKv} on the real driver against {@link VaultTestServer}: what each call returns and costs. */
class DriverKvTest extends VaultServerCase {
    private DriverSession session;
    private VaultKv kv;

    @BeforeEach
    void start() {
        session = tokenSession();
        kv = session.kv();
    }

    @Test
    void writeReturnsEachNewVersionAndReadGivesTheLatestWithTheSecretsCreationTime() {
        Instant first = f.now.get();
        assertEquals(1, kv.write("sluice/plans/pro", Map.of("rate-per-second", "5")));
        f.advance(Duration.ofMinutes(3));
        assertEquals(2, kv.write("sluice/plans/pro", Map.of("rate-per-second", "9")));
        KvEntry entry = kv.read("sluice/plans/pro").orElseThrow();
        assertEquals("sluice/plans/pro", entry.path());
        assertEquals(2, entry.version());
        assertEquals(first, entry.createdAt(), "the secret's creation, not the version's");
        assertEquals("{\"rate-per-second\":\"9\"}", entry.dataJson());
    }

    @Test
    void dataJsonKeepsNumbersArraysAndObjectsAsTerraformWritesThem() {
        vault.put("secret/sluice/keys/acme/0123456789abcdef",
                Map.of("scopes", List.of("invoke", "deploy"), "burst", 40, "meta", Map.of("team", "a")));
        String json = kv.read("sluice/keys/acme/0123456789abcdef").orElseThrow().dataJson();
        assertTrue(json.contains("\"scopes\":[\"invoke\",\"deploy\"]"), json);
        assertTrue(json.contains("\"burst\":40"), json);
        assertTrue(json.contains("\"meta\":{\"team\":\"a\"}"), json);
    }

    @Test
    void currentVersionIsOneMetadataReadAndNoDataRead() {
        kv.write("sluice/config", Map.of("a", "1"));
        kv.write("sluice/config", Map.of("a", "2"));
        vault.resetRequests();
        assertEquals(OptionalLong.of(2), kv.currentVersion("sluice/config"));
        assertEquals(1, vault.count("GET", "secret/metadata/sluice/config"));
        assertEquals(0, vault.count("GET", "secret/data/"));
        assertEquals(OptionalLong.empty(), kv.currentVersion("sluice/none"));
    }

    @Test
    void aSoftDeletedCurrentVersionIsNeitherCurrentNorReadable() {
        kv.write("sluice/config", Map.of("a", "1"));
        kv.write("sluice/config", Map.of("a", "2"));
        vault.softDelete("secret/sluice/config");
        assertEquals(OptionalLong.empty(), kv.currentVersion("sluice/config"));
        assertEquals(Optional.empty(), kv.read("sluice/config"));
        KvMetadata m = kv.metadata("sluice/config").orElseThrow();
        assertEquals(2, m.currentVersion());
        assertFalse(m.currentLive());
    }

    @Test
    void metadataGivesVersionCreationAndUpdateTimesWithoutData() {
        Instant created = f.now.get();
        kv.write("sluice/config", Map.of("a", "1"));
        f.advance(Duration.ofMinutes(5));
        kv.write("sluice/config", Map.of("a", "2"));
        assertEquals(new KvMetadata("sluice/config", 2, true, created, created.plus(Duration.ofMinutes(5))),
                kv.metadata("sluice/config").orElseThrow());
        assertEquals(Optional.empty(), kv.metadata("sluice/none"));
    }

    @Test
    void listShowsNamesAndSubFoldersSortedAndNothingForAMissingFolder() {
        kv.write("sluice/tenants/globex", Map.of("plan", "pro"));
        kv.write("sluice/tenants/acme", Map.of("plan", "free"));
        kv.write("sluice/keys/acme/0123456789abcdef", Map.of("sha256", "00"));
        kv.write("sluice/config", Map.of("a", "1"));
        assertEquals(List.of("config", "keys/", "tenants/"), kv.list("sluice"));
        assertEquals(List.of("acme", "globex"), kv.list("sluice/tenants/"));
        assertEquals(List.of(), kv.list("sluice/plans"));
        assertEquals(1, vault.count("LIST", "secret/metadata/sluice/plans"));
    }

    @Test
    void destroyRemovesEveryVersionAndTheMetadata() {
        kv.write("sluice/secrets/t/f/A", Map.of("value", "1"));
        kv.write("sluice/secrets/t/f/A", Map.of("value", "2"));
        kv.destroy("sluice/secrets/t/f/A");
        assertFalse(vault.exists("secret/sluice/secrets/t/f/A"));
        assertEquals(Optional.empty(), kv.metadata("sluice/secrets/t/f/A"));
        assertEquals(1, vault.count("DELETE", "secret/metadata/sluice/secrets/t/f/A"));
        kv.destroy("sluice/secrets/t/f/A"); // gone already: no error
    }

    @Test
    void pathsOutsideTheAddressableAlphabetAreRefusedBeforeAnyRequest() {
        for (String bad : List.of("", "a b", "../etc", "a//b", "a?b", "/abs", "a/./b")) {
            assertThrows(IllegalArgumentException.class, () -> kv.read(bad), bad);
        }
        assertTrue(vault.requests().isEmpty(), vault.requests().toString());
    }

    @Test
    void aWriteRefusedForBadInputIsMalformedNamingThePath() {
        vault.failNext("secret/data/sluice/config", 400);
        VaultException.Malformed e = assertThrows(VaultException.Malformed.class,
                () -> kv.write("sluice/config", Map.of("a", "1")));
        assertTrue(e.getMessage().contains("secret/sluice/config"), e.getMessage());
    }
}
