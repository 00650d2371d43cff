package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.auth.KeyFormat;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.Scope;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class ApiKeysTest {
    public static final TenantUid ACME = TenantUid.of("acme");
    static final TenantUid GLOBEX = TenantUid.of("globex");
    static final Pattern KEY_SHAPE = Pattern.compile("sluice_sk_v2_[0-9a-f]{16}_[A-Za-z0-9_-]{43}[0-9A-Za-z]{6}");

    @TempDir
    Path dir;
    final FakeClock clock = FakeClock.atEpochDay();

    /** Every journal segment's bytes, as ISO-8859-1 text (the JSON payloads are ASCII). */
    String journalText() throws IOException {
        StringBuilder text = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path segment : files.filter(p -> p.getFileName().toString().endsWith(".journal")).sorted().toList()) {
                text.append(new String(Files.readAllBytes(segment), java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        return text.toString();
    }

    ApiKeys open() {
        return LocalTenancy.open(dir, clock).keys();
    }

    @Test
    void issuedKeyHasTheDocumentedShapeAndVerifiesToItsMetadata() {
        ApiKeys keys = open();

        IssuedKey issued = keys.issue(ACME, "ci deploy", Optional.empty());

        assertTrue(KEY_SHAPE.matcher(issued.secret()).matches(), issued.secret());
        assertTrue(issued.secret().startsWith("sluice_sk_v2_" + issued.metadata().id() + "_"));
        KeyMetadata expected = new KeyMetadata(issued.metadata().id(), ACME, "ci deploy", clock.instant(),
                Optional.empty(), Scope.ALL, Optional.empty(), Optional.empty());
        assertEquals(expected, issued.metadata());
        assertEquals(Optional.of(expected), keys.verify(issued.secret()));
    }

    @Test
    void idsAndSecretsAreUnique() {
        ApiKeys keys = open();
        Set<String> ids = new HashSet<>();
        Set<String> secrets = new HashSet<>();

        for (int i = 0; i < 200; i++) {
            IssuedKey issued = keys.issue(ACME, "k" + i, Optional.empty());
            ids.add(issued.metadata().id());
            secrets.add(issued.secret());
        }

        assertEquals(200, ids.size());
        assertEquals(200, secrets.size());
    }

    @Test
    void listShowsTheTenantsKeysOldestFirstWithoutSecrets() {
        ApiKeys keys = open();
        IssuedKey first = keys.issue(ACME, "first", Optional.empty());
        clock.advance(Duration.ofSeconds(1));
        IssuedKey second = keys.issue(ACME, "second", Optional.of(clock.instant().plus(Duration.ofDays(1))));
        IssuedKey other = keys.issue(GLOBEX, "other", Optional.empty());

        List<KeyMetadata> listed = keys.list(ACME);

        assertEquals(List.of(first.metadata(), second.metadata()), listed);
        String shown = listed.toString();
        assertFalse(shown.contains(secretPart(first)), shown);
        assertFalse(shown.contains(secretPart(second)), shown);
        assertEquals(List.of(other.metadata()), keys.list(GLOBEX));
    }

    @Test
    void keysIssuedAtTheSameInstantListInIssueOrderAlsoAfterReopen() {
        ApiKeys keys = open();
        List<KeyMetadata> issued = Stream.of("c", "a", "b", "d", "e")
                .map(name -> keys.issue(ACME, name, Optional.empty()).metadata())
                .toList();

        assertEquals(issued, keys.list(ACME));
        assertEquals(issued, open().list(ACME));
    }

    @Test
    void issuedKeyToStringRedactsTheSecret() {
        IssuedKey issued = open().issue(ACME, "ci", Optional.empty());

        assertFalse(issued.toString().contains(secretPart(issued)), issued.toString());
        assertTrue(issued.toString().contains("redacted"));
    }

    static Stream<String> malformedKeys() {
        String secret = "A".repeat(43);
        String id = "0123456789abcdef";
        Stream<String> general = Stream.of(
                "",
                " ",
                "Bearer sluice_sk_" + id + "_" + secret,
                id + "_" + secret,                                 // no prefix
                "pk_" + id + "_" + secret,                         // wrong prefix
                "sluice_pk_" + id + "_" + secret,                  // wrong prefix
                "sluice_" + id + "_" + secret);                    // wrong prefix
        // The current prefix and the legacy one, which still verifies, are held to the same shape.
        Stream<String> shaped = Stream.of("sluice_sk_", "sk_").flatMap(prefix -> Stream.of(
                prefix,
                prefix + id.substring(1) + "_" + secret,           // id too short
                prefix + id + "0_" + secret,                       // id too long
                prefix + "0123456789ABCDEF_" + secret,             // upper-case id
                prefix + id + "-" + secret,                        // wrong separator
                prefix + id + "_" + secret.substring(1),           // secret too short
                prefix + id + "_" + secret + "A",                  // secret too long
                prefix + id + "_" + "A".repeat(41) + "==",         // padded base64
                prefix + id + "_" + "A".repeat(42) + "+",          // standard, not url-safe, alphabet
                prefix + id + "_" + "A".repeat(42) + "B",          // non-canonical final character
                prefix + id + "_" + "é".repeat(43),                // not base64 at all
                prefix + id + "_" + secret + "\n"));
        String body = "sluice_sk_v2_" + id + "_" + secret;
        String sum = KeyFormat.checksum(body, body.length());
        Stream<String> checked = Stream.of(
                body,                                              // no checksum
                body + sum.substring(1),                           // checksum too short
                body + sum + "0",                                  // checksum too long
                body + (sum.charAt(0) == '0' ? '1' : '0') + sum.substring(1),  // wrong checksum
                body.replace(id, "0123456789abcdee") + sum,        // id changed under the checksum
                body.substring(0, body.length() - 1) + "E" + sum,  // secret changed under the checksum
                body + sum.substring(0, 5) + "!");                 // not a base62 digit
        return Stream.of(general, shaped, checked).flatMap(x -> x);
    }

    @ParameterizedTest
    @MethodSource("malformedKeys")
    void malformedKeysAreRejectedWithoutThrowing(String presented) {
        ApiKeys keys = open();
        keys.issue(ACME, "ci", Optional.empty());

        assertTrue(keys.verify(presented).isEmpty());
    }

    @Test
    void aWellFormedKeyWithAValidChecksumVerifiesAndAnyOtherChecksumDoesNot() {
        ApiKeys keys = open();
        String body = "sluice_sk_v2_0123456789abcdef_" + "A".repeat(43);
        String sum = KeyFormat.checksum(body, body.length());
        assertEquals(6, sum.length(), sum);
        assertTrue(KeyFormat.parse(body + sum).isPresent(), "the checksum of the rest is accepted");
        for (int i = 0; i < 6; i++) {
            char[] wrong = sum.toCharArray();
            wrong[i] = wrong[i] == 'z' ? 'y' : 'z';
            assertTrue(KeyFormat.parse(body + new String(wrong)).isEmpty(), new String(wrong));
        }
        assertTrue(keys.verify(body + sum).isEmpty(), "well-formed but unknown");
    }

    @Test
    void theChecksumIsTheStandardCrc32InSixBase62Digits() {
        String body = "sluice_sk_v2_0123456789abcdef_" + "A".repeat(43);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(body.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        long value = 0;
        for (char c : KeyFormat.checksum(body, body.length()).toCharArray()) {
            value = value * 62 + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".indexOf(c);
        }
        assertEquals(crc.getValue(), value);
    }

    @Test
    void everySingleCharacterChangeToAnIssuedKeyIsCaughtByTheChecksum() {
        IssuedKey issued = open().issue(ACME, "ci", Optional.empty());
        String key = issued.secret();
        String alphabet = "0123456789abcdefABCDEFGHIJKLMNOPQRSTUVWXYZghijklmnopqrstuvwxyz-_";
        int start = "sluice_sk_v2_".length();
        for (int i = start; i < key.length(); i++) {
            for (char c : alphabet.toCharArray()) {
                if (c != key.charAt(i)) {
                    String typo = key.substring(0, i) + c + key.substring(i + 1);
                    assertTrue(KeyFormat.parse(typo).isEmpty(), typo);
                }
            }
        }
    }

    @Test
    void keysInTheShapeBeforeTheChecksumKeepVerifying() {
        ApiKeys keys = open();
        IssuedKey issued = keys.issue(ACME, "ci", Optional.empty());

        assertEquals(Optional.of(issued.metadata()), keys.verify(unchecked(issued)));
        assertEquals(ACME, keys.verify("sk_" + issued.metadata().id() + "_" + secretPart(issued))
                .orElseThrow().tenant(), "the legacy sk_ shape too");
    }

    @Test
    void nullKeyIsRejected() {
        assertTrue(open().verify(null).isEmpty());
    }

    @Test
    void wellFormedKeyWithUnknownIdIsRejected() {
        ApiKeys keys = open();
        IssuedKey issued = keys.issue(ACME, "ci", Optional.empty());
        String otherId = issued.metadata().id().equals("0123456789abcdef") ? "fedcba9876543210" : "0123456789abcdef";

        assertTrue(keys.verify("sluice_sk_" + otherId + "_" + secretPart(issued)).isEmpty());
    }

    @Test
    void rightIdWithWrongSecretIsRejected() {
        ApiKeys keys = open();
        IssuedKey issued = keys.issue(ACME, "ci", Optional.empty());
        IssuedKey another = keys.issue(ACME, "ci-2", Optional.empty());

        assertTrue(keys.verify("sluice_sk_" + issued.metadata().id() + "_" + secretPart(another)).isEmpty());
        String flipped = flipFirstCharacter(secretPart(issued));
        assertTrue(keys.verify("sluice_sk_" + issued.metadata().id() + "_" + flipped).isEmpty());
    }

    @Test
    void revokedKeyIsRejectedByTheNextVerify() {
        ApiKeys keys = open();
        IssuedKey issued = keys.issue(ACME, "ci", Optional.empty());
        IssuedKey kept = keys.issue(ACME, "kept", Optional.empty());
        assertTrue(keys.verify(issued.secret()).isPresent());

        assertTrue(keys.revoke(ACME, issued.metadata().id()));

        assertTrue(keys.verify(issued.secret()).isEmpty());
        assertTrue(keys.verify(kept.secret()).isPresent());
        assertEquals(List.of(kept.metadata().id()), keys.list(ACME).stream().map(KeyMetadata::id).toList());
        assertFalse(keys.revoke(ACME, issued.metadata().id()), "already revoked");
    }

    @Test
    void aTenantCannotRevokeAnotherTenantsKey() {
        ApiKeys keys = open();
        IssuedKey issued = keys.issue(ACME, "ci", Optional.empty());

        assertFalse(keys.revoke(GLOBEX, issued.metadata().id()));
        assertFalse(keys.revoke(GLOBEX, "not-an-id"));

        assertTrue(keys.verify(issued.secret()).isPresent());
    }

    @Test
    void keyIsRejectedOnceTheClockReachesItsExpiry() {
        ApiKeys keys = open();
        Instant expiry = clock.instant().plus(Duration.ofHours(1));
        IssuedKey issued = keys.issue(ACME, "short-lived", Optional.of(expiry));

        clock.advance(Duration.ofMinutes(59));
        assertTrue(keys.verify(issued.secret()).isPresent());

        clock.advance(Duration.ofMinutes(1));
        assertTrue(keys.verify(issued.secret()).isEmpty());
    }

    @Test
    void revokeAllDeletesEveryKeyOfThatTenantOnly() {
        ApiKeys keys = open();
        IssuedKey a1 = keys.issue(ACME, "a1", Optional.empty());
        IssuedKey a2 = keys.issue(ACME, "a2", Optional.empty());
        IssuedKey g1 = keys.issue(GLOBEX, "g1", Optional.empty());

        keys.revokeAll(ACME);

        assertTrue(keys.list(ACME).isEmpty());
        assertTrue(keys.verify(a1.secret()).isEmpty());
        assertTrue(keys.verify(a2.secret()).isEmpty());
        assertTrue(keys.verify(g1.secret()).isPresent());
        assertTrue(open().list(ACME).isEmpty(), "durable across reopen");
    }

    @Test
    void keysSurviveReopenAndTheFileHoldsNoSecret() throws IOException {
        ApiKeys first = open();
        IssuedKey forever = first.issue(ACME, "forever", Optional.empty());
        IssuedKey expiring = first.issue(GLOBEX, "expiring", Optional.of(clock.instant().plusSeconds(60)));

        ApiKeys second = open();

        assertEquals(Optional.of(forever.metadata()), second.verify(forever.secret()));
        assertEquals(Optional.of(expiring.metadata()), second.verify(expiring.secret()));
        String journal = journalText();
        assertTrue(journal.contains(forever.metadata().id()), "ids are journaled");
        assertFalse(journal.contains(secretPart(forever)), journal);
        assertFalse(journal.contains(secretPart(expiring)), journal);
        LocalTenancy.open(dir, clock).close(); // writes the snapshot
        String stored = Files.readString(dir.resolve("keys.json"));
        assertTrue(stored.contains(forever.metadata().id()), "ids are stored");
        assertFalse(stored.contains(secretPart(forever)), stored);
        assertFalse(stored.contains(secretPart(expiring)), stored);
        assertFalse(stored.contains(forever.secret()), stored);
    }

    @Test
    void keysFileIsOwnerOnly() throws IOException {
        open().issue(ACME, "ci", Optional.empty());

        assertEquals("rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keys.json"))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "tab\there", "new\nline", "bell\u0007", "bidi\u202Eoverride"})
    void badKeyNamesAreRejectedNamingTheField(String name) {
        ApiKeys keys = open();

        TenancyException.InvalidInput e = assertThrows(TenancyException.InvalidInput.class,
                () -> keys.issue(ACME, name, Optional.empty()));

        assertTrue(e.getMessage().startsWith("name: "), e.getMessage());
        assertTrue(keys.list(ACME).isEmpty());
    }

    @Test
    void keyNamesMayHaveOneHundredCharactersButNotMore() {
        ApiKeys keys = open();

        assertEquals("ü".repeat(100), keys.issue(ACME, "ü".repeat(100), Optional.empty()).metadata().name());
        TenancyException.InvalidInput e = assertThrows(TenancyException.InvalidInput.class,
                () -> keys.issue(ACME, "x".repeat(101), Optional.empty()));
        assertTrue(e.getMessage().startsWith("name: 101 characters"), e.getMessage());
    }

    @Test
    void expiryInThePastOrNowIsRejectedNamingTheField() {
        ApiKeys keys = open();

        for (Instant expiry : List.of(clock.instant().minusSeconds(1), clock.instant())) {
            TenancyException.InvalidInput e = assertThrows(TenancyException.InvalidInput.class,
                    () -> keys.issue(ACME, "late", Optional.of(expiry)));
            assertTrue(e.getMessage().startsWith("expires-at: "), e.getMessage());
        }
        assertTrue(keys.list(ACME).isEmpty());
    }

    @Test
    void keyOfAnotherTenantStillVerifiesAsThatTenant() {
        ApiKeys keys = open();
        IssuedKey acme = keys.issue(ACME, "ci", Optional.empty());
        IssuedKey globex = keys.issue(GLOBEX, "ci", Optional.empty());

        assertEquals(ACME, keys.verify(acme.secret()).orElseThrow().tenant());
        assertEquals(GLOBEX, keys.verify(globex.secret()).orElseThrow().tenant());
        assertNotEquals(acme.metadata().id(), globex.metadata().id());
    }

    public static String secretPart(IssuedKey issued) {
        int start = "sluice_sk_v2_".length() + 16 + 1;
        return issued.secret().substring(start, start + 43);
    }

    /** The same id and secret in the shape keys had before the checksum, as clients holding old keys present them. */
    public static String unchecked(IssuedKey issued) {
        return "sluice_sk_" + issued.metadata().id() + "_" + secretPart(issued);
    }

    private static String flipFirstCharacter(String secret) {
        char replacement = secret.charAt(0) == 'A' ? 'B' : 'A';
        return replacement + secret.substring(1);
    }
}
