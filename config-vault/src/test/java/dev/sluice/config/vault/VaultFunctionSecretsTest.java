package dev.sluice.config.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.config.secrets.SecretName;
import dev.sluice.config.secrets.SecretValue;
import dev.sluice.config.secrets.SecretVersion;
import dev.sluice.config.secrets.SecretsException;
import dev.sluice.config.testing.VaultTestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Function secrets in Vault, through the real client against {@link VaultTestServer}. */
class VaultFunctionSecretsTest extends VaultServerCase {
    private static final String OWNER = "acme.0011223344556677";
    private static final SecretName API_KEY = SecretName.of("API_KEY");
    private static final SecretName DB_URL = SecretName.of("DB_URL");

    private DriverSession session;
    private FunctionSecrets secrets;

    @BeforeEach
    void start() {
        session = tokenSession();
        secrets = VaultFunctionSecrets.create(session.kv(), "sluice", f.clock);
    }

    @Test
    void putStoresTheValueUnderTheTenantsFunctionPathAndReturnsItsVersion() {
        SecretVersion v = secrets.put(OWNER, "hello", API_KEY, SecretValue.of("k-1"));
        assertEquals(new SecretVersion(API_KEY, 1, f.now.get()), v);
        assertEquals(2, secrets.put(OWNER, "hello", API_KEY, SecretValue.of("k-2")).version());
        assertTrue(vault.exists("secret/sluice/secrets/" + OWNER + "/hello/API_KEY"));
        assertEquals(Map.of("API_KEY", "k-2"), secrets.values(OWNER, "hello"));
    }

    @Test
    void listShowsNamesVersionsAndUpdateTimesWithoutReadingAValue() {
        Instant first = f.now.get();
        secrets.put(OWNER, "hello", API_KEY, SecretValue.of("k-1"));
        f.advance(Duration.ofMinutes(2));
        secrets.put(OWNER, "hello", API_KEY, SecretValue.of("k-2"));
        secrets.put(OWNER, "hello", DB_URL, SecretValue.of("postgres://db"));
        vault.resetRequests();
        assertEquals(List.of(new SecretVersion(API_KEY, 2, first.plus(Duration.ofMinutes(2))),
                new SecretVersion(DB_URL, 1, first.plus(Duration.ofMinutes(2)))), secrets.list(OWNER, "hello"));
        assertEquals(0, vault.count("GET", "secret/data/"), "no value read to list");
        assertEquals(List.of(), secrets.list(OWNER, "other"));
    }

    @Test
    void deleteDestroysEveryVersionAndSaysWhetherThereWasOne() {
        secrets.put(OWNER, "hello", API_KEY, SecretValue.of("k-1"));
        secrets.put(OWNER, "hello", API_KEY, SecretValue.of("k-2"));
        assertTrue(secrets.delete(OWNER, "hello", API_KEY));
        assertFalse(vault.exists("secret/sluice/secrets/" + OWNER + "/hello/API_KEY"), "no version left");
        assertFalse(secrets.delete(OWNER, "hello", API_KEY));
        assertEquals(Map.of(), secrets.values(OWNER, "hello"));
    }

    @Test
    void deleteAllRemovesOneFunctionsSecretsAndNoOneElses() {
        secrets.put(OWNER, "hello", API_KEY, SecretValue.of("a"));
        secrets.put(OWNER, "hello", DB_URL, SecretValue.of("b"));
        secrets.put(OWNER, "other", API_KEY, SecretValue.of("c"));
        secrets.put("globex.0011223344556677", "hello", API_KEY, SecretValue.of("d"));
        secrets.deleteAll(OWNER, "hello");
        assertEquals(Map.of(), secrets.values(OWNER, "hello"));
        assertEquals(Map.of("API_KEY", "c"), secrets.values(OWNER, "other"));
        assertEquals(Map.of("API_KEY", "d"), secrets.values("globex.0011223344556677", "hello"));
        secrets.deleteAll(OWNER, "never-had-any");
    }

    @Test
    void valuesGivesEveryNameWithItsValue() {
        secrets.put(OWNER, "hello", API_KEY, SecretValue.of("k\n\"quoted\" ü"));
        secrets.put(OWNER, "hello", DB_URL, SecretValue.of("postgres://db"));
        assertEquals(Map.of("API_KEY", "k\n\"quoted\" ü", "DB_URL", "postgres://db"),
                secrets.values(OWNER, "hello"));
    }

    @Test
    void aFunctionHoldsAtMostTheMaximumButMayReplaceOne() {
        for (int i = 0; i < FunctionSecrets.MAX_PER_FUNCTION; i++) {
            vault.put("secret/sluice/secrets/" + OWNER + "/hello/S_" + i, Map.of("value", "v"));
        }
        SecretsException.Invalid e = assertThrows(SecretsException.Invalid.class,
                () -> secrets.put(OWNER, "hello", API_KEY, SecretValue.of("one-too-many")));
        assertTrue(e.getMessage().contains("at most 64"), e.getMessage());
        assertFalse(e.getMessage().contains("one-too-many"));
        assertEquals(2, secrets.put(OWNER, "hello", SecretName.of("S_3"), SecretValue.of("new")).version());
    }

    @Test
    void vaultAwayOrRefusingIsUnavailableAndNoMessageHoldsAValue() {
        List<String> messages = new ArrayList<>();
        vault.seal();
        messages.add(assertThrows(SecretsException.Unavailable.class,
                () -> secrets.put(OWNER, "hello", API_KEY, SecretValue.of("value-text-1"))).getMessage());
        messages.add(assertThrows(SecretsException.Unavailable.class, () -> secrets.values(OWNER, "hello"))
                .getMessage());
        vault.unseal();
        f.advance(TokenKeeper.FIRST_BACKOFF); // the failed first login is remembered that long
        secrets.put(OWNER, "hello", API_KEY, SecretValue.of("value-text-2"));
        vault.deny("secret/data/sluice/secrets/");
        SecretsException.Unavailable denied = assertThrows(SecretsException.Unavailable.class,
                () -> secrets.put(OWNER, "hello", API_KEY, SecretValue.of("value-text-3")));
        assertTrue(denied.getMessage().contains("secret/sluice/secrets/" + OWNER + "/hello/API_KEY"),
                denied.getMessage());
        messages.add(denied.getMessage());
        messages.add(assertThrows(SecretsException.Unavailable.class, () -> secrets.values(OWNER, "hello"))
                .getMessage());
        vault.close();
        messages.add(assertThrows(SecretsException.Unavailable.class, () -> secrets.list(OWNER, "hello"))
                .getMessage());
        for (String m : messages) {
            assertFalse(m.contains("value-text"), m);
        }
    }

    @Test
    void anOwnerOrFunctionThatCouldEscapeItsFolderIsInvalid() {
        for (String bad : List.of("", "..", "a/b", "a b", "../x")) {
            assertThrows(SecretsException.Invalid.class,
                    () -> secrets.put(bad, "hello", API_KEY, SecretValue.of("v")), bad);
            assertThrows(SecretsException.Invalid.class, () -> secrets.values(OWNER, bad), bad);
        }
        assertTrue(vault.requests().isEmpty());
    }

    @Test
    void anEntryNotWrittenBySluiceIsIgnored() {
        secrets.put(OWNER, "hello", API_KEY, SecretValue.of("a"));
        vault.put("secret/sluice/secrets/" + OWNER + "/hello/lower-case", Map.of("value", "x"));
        vault.put("secret/sluice/secrets/" + OWNER + "/hello/NO_VALUE", Map.of("other", "x"));
        assertEquals(Map.of("API_KEY", "a"), secrets.values(OWNER, "hello"));
        assertEquals(List.of("API_KEY", "NO_VALUE"),
                secrets.list(OWNER, "hello").stream().map(v -> v.name().value()).toList());
    }
}
