package dev.sluice.config.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.function.Executable;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data directory's secrets: encrypted, versioned, bound to their function, and refused under a wrong key. */
class EncryptedFileSecretsTest {
    private static final String OWNER = "acme.0123456789abcdef0123456789abcdef";
    private static final String OTHER_OWNER = "bravo.0123456789abcdef0123456789abcdef";
    private static final String VALUE = "s3cr3t-db-password-Ü-✓";

    @TempDir
    Path dir;

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-29T00:00:00Z"));
    private final InstantSource clock = () -> now.get();
    private final String key = newKey();

    private static String newKey() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    private EncryptedFileSecrets open(String base64Key) {
        return EncryptedFileSecrets.open(dir, Optional.ofNullable(base64Key), clock);
    }

    private Path fileOf(String owner, String function) {
        return dir.resolve(owner).resolve(function + ".secrets");
    }

    private static SecretName name(String name) {
        return SecretName.of(name);
    }

    @Test
    void valuesComeBackAfterARestartAndEachReplacementIsTheNextVersion() {
        EncryptedFileSecrets secrets = open(key);
        SecretVersion first = secrets.put(OWNER, "hello", name("DB_PASSWORD"), SecretValue.of(VALUE));
        assertEquals(1, first.version());
        assertEquals(now.get(), first.updatedAt());
        now.set(now.get().plus(Duration.ofMinutes(5)));
        SecretVersion second = secrets.put(OWNER, "hello", name("DB_PASSWORD"), SecretValue.of(VALUE + "-2"));
        assertEquals(2, second.version());
        assertEquals(now.get(), second.updatedAt());
        secrets.put(OWNER, "hello", name("API_TOKEN"), SecretValue.of(""));

        EncryptedFileSecrets restarted = open(key);
        assertEquals(Map.of("DB_PASSWORD", VALUE + "-2", "API_TOKEN", ""), restarted.values(OWNER, "hello"));
        assertEquals(List.of(new SecretVersion(name("API_TOKEN"), 1, now.get()), second),
                restarted.list(OWNER, "hello"), "by name, with versions");
        assertEquals(3, restarted.put(OWNER, "hello", name("DB_PASSWORD"), SecretValue.of("x")).version());
    }

    @Test
    void theFileHoldsNoValueInClearAndIsReadableByItsOwnerOnly() throws Exception {
        open(key).put(OWNER, "hello", name("DB_PASSWORD"), SecretValue.of(VALUE));
        Path file = fileOf(OWNER, "hello");
        String content = Files.readString(file, StandardCharsets.ISO_8859_1);
        assertFalse(content.contains("s3cr3t"), content);
        assertFalse(content.contains(Base64.getEncoder().encodeToString(VALUE.getBytes(StandardCharsets.UTF_8))));
        assertFalse(content.contains(key), "the key is never stored");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        try (Stream<Path> leftovers = Files.list(file.getParent())) {
            assertEquals(List.of(file), leftovers.toList(), "no temporary file left behind");
        }
    }

    @Test
    void aWrongKeyIsRefusedSayingTheKeyDoesNotMatchWithoutAStackTrace() {
        open(key).put(OWNER, "hello", name("DB_PASSWORD"), SecretValue.of(VALUE));
        EncryptedFileSecrets wrong = open(newKey());
        for (Executable call : List.<Executable>of(() -> wrong.values(OWNER, "hello"),
                () -> wrong.list(OWNER, "hello"),
                () -> wrong.put(OWNER, "hello", name("OTHER"), SecretValue.of("x")),
                () -> wrong.delete(OWNER, "hello", name("DB_PASSWORD")))) {
            SecretsException.Unavailable e = assertThrows(SecretsException.Unavailable.class, call);
            assertTrue(e.getMessage().contains("SLUICE_SECRETS_KEY does not match"), e.getMessage());
            assertEquals(0, e.getStackTrace().length, "no stack trace");
            assertFalse(e.getMessage().contains(OWNER), "the tenant uid is not shown to tenants");
        }
        assertEquals(Map.of("DB_PASSWORD", VALUE), open(key).values(OWNER, "hello"), "nothing was overwritten");
        wrong.deleteAll(OWNER, "hello");
        assertFalse(Files.exists(fileOf(OWNER, "hello")), "deleting a function needs no key");
    }

    @Test
    void aTamperedValueFailsItsIntegrityCheck() throws Exception {
        open(key).put(OWNER, "hello", name("DB_PASSWORD"), SecretValue.of(VALUE));
        Path file = fileOf(OWNER, "hello");
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        String[] fields = lines.get(1).split(" ");
        byte[] sealed = Base64.getDecoder().decode(fields[4]);
        sealed[0] ^= 1;
        fields[4] = Base64.getEncoder().encodeToString(sealed);
        lines.set(1, String.join(" ", fields));
        Files.write(file, lines);

        SecretsException.Unavailable e = assertThrows(SecretsException.Unavailable.class,
                () -> open(key).values(OWNER, "hello"));
        assertTrue(e.getMessage().contains("damaged"), e.getMessage());
    }

    @Test
    void aBumpedVersionOrARenamedSecretFailsToDecrypt() throws Exception {
        open(key).put(OWNER, "hello", name("DB_PASSWORD"), SecretValue.of(VALUE));
        Path file = fileOf(OWNER, "hello");
        String original = Files.readString(file);
        Files.writeString(file, original.replace("DB_PASSWORD 1 ", "DB_PASSWORD 2 "));
        assertThrows(SecretsException.Unavailable.class, () -> open(key).values(OWNER, "hello"));
        Files.writeString(file, original.replace("DB_PASSWORD 1 ", "PASSWORD 1 "));
        assertThrows(SecretsException.Unavailable.class, () -> open(key).values(OWNER, "hello"));
    }

    @Test
    void aFileMovedToAnotherFunctionOrTenantFailsToDecrypt() throws Exception {
        open(key).put(OWNER, "hello", name("DB_PASSWORD"), SecretValue.of(VALUE));
        open(key).put(OTHER_OWNER, "other", name("UNRELATED"), SecretValue.of("x"));
        Files.createDirectories(fileOf(OWNER, "stolen").getParent());
        Files.copy(fileOf(OWNER, "hello"), fileOf(OWNER, "stolen"));
        Files.copy(fileOf(OWNER, "hello"), fileOf(OTHER_OWNER, "hello"));

        EncryptedFileSecrets secrets = open(key);
        SecretsException.Unavailable moved = assertThrows(SecretsException.Unavailable.class,
                () -> secrets.values(OWNER, "stolen"));
        assertTrue(moved.getMessage().contains("damaged"), moved.getMessage());
        assertThrows(SecretsException.Unavailable.class, () -> secrets.values(OTHER_OWNER, "hello"));
        assertEquals(Map.of("DB_PASSWORD", VALUE), secrets.values(OWNER, "hello"), "the original still works");
    }

    @Test
    void aFunctionHoldsAtMost64SecretsAndMayStillReplaceOne() {
        EncryptedFileSecrets secrets = open(key);
        for (int i = 0; i < FunctionSecrets.MAX_PER_FUNCTION; i++) {
            secrets.put(OWNER, "hello", name("S" + i), SecretValue.of("v" + i));
        }
        SecretsException.Invalid e = assertThrows(SecretsException.Invalid.class,
                () -> secrets.put(OWNER, "hello", name("ONE_MORE"), SecretValue.of("x")));
        assertTrue(e.getMessage().contains("at most 64"), e.getMessage());
        assertEquals(2, secrets.put(OWNER, "hello", name("S0"), SecretValue.of("replaced")).version());
        assertEquals(1, secrets.put(OWNER, "other", name("ONE_MORE"), SecretValue.of("x")).version(),
                "the limit is per function");
        assertEquals(64, open(key).values(OWNER, "hello").size());
        assertEquals("replaced", open(key).values(OWNER, "hello").get("S0"));
    }

    @Test
    void namesAndValuesBreakingTheRulesAreRefusedWithBoundedMessagesThatNeverHoldTheValue() {
        for (String bad : List.of("HTTP_X", "a", "X".repeat(10_000), "A\0B", "", "PATH_INFO", "SLUICE_KEY",
                "WASI_X", "1ABC", "A-B")) {
            SecretsException.Invalid e = assertThrows(SecretsException.Invalid.class, () -> SecretName.of(bad));
            assertTrue(e.getMessage().length() < 300, e.getMessage());
            assertFalse(e.getMessage().contains("\0"));
        }
        assertEquals("A".repeat(128), SecretName.of("A".repeat(128)).value());
        String big = "v".repeat(40 * 1024);
        SecretsException.Invalid tooBig = assertThrows(SecretsException.Invalid.class, () -> SecretValue.of(big));
        assertFalse(tooBig.getMessage().contains("vvvv"), tooBig.getMessage());
        SecretsException.Invalid nul = assertThrows(SecretsException.Invalid.class,
                () -> SecretValue.of("pass\0word"));
        assertFalse(nul.getMessage().contains("pass"), nul.getMessage());
        assertEquals("SecretValue[***]", SecretValue.of(VALUE).toString());
    }

    @Test
    void aKeyThatIsNotThirtyTwoBytesOfBase64IsRefusedNamingTheVariableNeverItsValue() {
        String halfKey = Base64.getEncoder().encodeToString(new byte[16]);
        for (String bad : List.of("not-base64-at-all!!", halfKey, "c2hvcnQ=")) {
            ConfigException e = assertThrows(ConfigException.class, () -> open(bad));
            assertTrue(e.getMessage().startsWith("SLUICE_SECRETS_KEY: "), e.getMessage());
            assertFalse(e.getMessage().contains(bad), e.getMessage());
        }
        assertTrue(open(" " + key + "\n").hasKey(), "surrounding whitespace (a file's newline) is fine");
        assertFalse(open("  ").hasKey(), "blank is not set");
    }

    @Test
    void withoutAKeyFunctionsWithoutSecretsRunAndEverythingElseSaysToSetTheKey() {
        open(key).put(OWNER, "hello", name("DB_PASSWORD"), SecretValue.of(VALUE));
        EncryptedFileSecrets keyless = open(null);
        assertEquals(Map.of(), keyless.values(OWNER, "plain"), "no secrets, nothing to decrypt");
        SecretsException.Unavailable put = assertThrows(SecretsException.Unavailable.class,
                () -> keyless.put(OWNER, "plain", name("X"), SecretValue.of("x")));
        assertTrue(put.getMessage().contains("SLUICE_SECRETS_KEY"), put.getMessage());
        assertThrows(SecretsException.Unavailable.class, () -> keyless.list(OWNER, "plain"));
        assertThrows(SecretsException.Unavailable.class, () -> keyless.delete(OWNER, "plain", name("X")));
        SecretsException.Unavailable run = assertThrows(SecretsException.Unavailable.class,
                () -> keyless.values(OWNER, "hello"));
        assertTrue(run.getMessage().contains("has secrets") && run.getMessage().contains("SLUICE_SECRETS_KEY"),
                run.getMessage());
        keyless.deleteAll(OWNER, "hello");
        assertEquals(Map.of(), keyless.values(OWNER, "hello"));
        assertFalse(Files.exists(fileOf(OWNER, "hello")));
    }

    @Test
    void aFunctionWithoutSecretsLeavesNoTraceOnDisk() throws Exception {
        EncryptedFileSecrets secrets = open(key);
        assertEquals(Map.of(), secrets.values(OWNER, "hello"));
        assertEquals(List.of(), secrets.list(OWNER, "hello"));
        assertFalse(secrets.delete(OWNER, "hello", name("NOPE")));
        secrets.deleteAll(OWNER, "hello");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
    }

    @Test
    void deletingTheLastSecretRemovesTheFileAndANewOneStartsAtVersionOne() {
        EncryptedFileSecrets secrets = open(key);
        secrets.put(OWNER, "hello", name("A"), SecretValue.of("1"));
        secrets.put(OWNER, "hello", name("A"), SecretValue.of("2"));
        secrets.put(OWNER, "hello", name("B"), SecretValue.of("b"));
        assertTrue(secrets.delete(OWNER, "hello", name("A")));
        assertFalse(secrets.delete(OWNER, "hello", name("A")), "already gone");
        assertEquals(Map.of("B", "b"), open(key).values(OWNER, "hello"));
        assertTrue(secrets.delete(OWNER, "hello", name("B")));
        assertFalse(Files.exists(fileOf(OWNER, "hello")));
        assertFalse(Files.exists(dir.resolve(OWNER)), "nor an empty directory");
        assertEquals(1, secrets.put(OWNER, "hello", name("A"), SecretValue.of("3")).version());
    }

    @Test
    void deleteAllRemovesOneFunctionsSecretsOnly() {
        EncryptedFileSecrets secrets = open(key);
        secrets.put(OWNER, "hello", name("A"), SecretValue.of("1"));
        secrets.put(OWNER, "world", name("A"), SecretValue.of("2"));
        secrets.deleteAll(OWNER, "hello");
        assertEquals(Map.of(), secrets.values(OWNER, "hello"));
        assertEquals(Map.of(), open(key).values(OWNER, "hello"));
        assertEquals(Map.of("A", "2"), open(key).values(OWNER, "world"));
    }

    @Test
    void concurrentWritersToOneFunctionLoseNothing() throws Exception {
        EncryptedFileSecrets secrets = open(key);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> writes = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int n = i;
                writes.add(pool.submit(() -> secrets.put(OWNER, "hello", name("S" + n), SecretValue.of("v" + n))));
                writes.add(pool.submit(() -> secrets.values(OWNER, "hello")));
            }
            for (Future<?> write : writes) {
                write.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Map<String, String> values = open(key).values(OWNER, "hello");
        assertEquals(32, values.size());
        assertEquals("v17", values.get("S17"));
    }

    @Test
    void pathsCannotLeaveTheDirectory() {
        EncryptedFileSecrets secrets = open(key);
        assertThrows(SecretsException.Invalid.class,
                () -> secrets.put(OWNER, "../escape", name("A"), SecretValue.of("x")));
        assertThrows(SecretsException.Invalid.class, () -> secrets.values(OWNER, ".."));
        assertThrows(IllegalArgumentException.class, () -> secrets.values("../x", "hello"));
    }

    @Test
    void anUnavailableBackendRefusesEveryCallWithItsReason() {
        FunctionSecrets none = FunctionSecrets.unavailable("set SLUICE_SECRETS_KEY");
        for (Executable call : List.<Executable>of(() -> none.values(OWNER, "hello"),
                () -> none.list(OWNER, "hello"),
                () -> none.put(OWNER, "hello", name("A"), SecretValue.of("x")),
                () -> none.delete(OWNER, "hello", name("A")),
                () -> none.deleteAll(OWNER, "hello"))) {
            assertEquals("set SLUICE_SECRETS_KEY",
                    assertThrows(SecretsException.Unavailable.class, call).getMessage());
        }
    }
}
