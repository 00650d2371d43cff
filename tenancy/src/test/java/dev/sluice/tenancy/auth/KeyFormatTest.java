package dev.sluice.tenancy.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@link KeyFormat#parse} checks a key's shape with character scans and hashes with a cloned digest (it runs on every
 * request); these tests hold it to the regular expressions and the plain {@code MessageDigest} it replaced.
 */
class KeyFormatTest {
    /** The shape as first written: the id and the secret by regular expression. */
    private static final Pattern SHAPE = Pattern.compile(
            "(sluice_sk_|sk_)([0-9a-f]{16})_([A-Za-z0-9_-]{42}[AEIMQUYcgkosw048])");
    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-.~ :/+=é";

    @Test
    void everyOneCharacterChangeOfAKeyIsJudgedAsTheRegularExpressionsJudgedIt() {
        SecureRandom random = new SecureRandom();
        String id = KeyFormat.newId(random);
        String secret = KeyFormat.newSecret(random);
        Random pick = new Random(12);
        for (String key : new String[] {"sluice_sk_" + id + "_" + secret, "sk_" + id + "_" + secret}) {
            for (int i = 0; i < key.length(); i++) {
                for (int n = 0; n < 12; n++) {
                    char c = ALPHABET.charAt(pick.nextInt(ALPHABET.length()));
                    String changed = key.substring(0, i) + c + key.substring(i + 1);
                    assertEquals(oracle(changed), KeyFormat.parse(changed).map(KeyFormatTest::text), changed);
                }
            }
        }
    }

    @Test
    void aCheckedKeyParsesToItsIdAndTheSha256OfItsSecret() throws Exception {
        SecureRandom random = new SecureRandom();
        String id = KeyFormat.newId(random);
        String secret = KeyFormat.newSecret(random);
        KeyFormat.Presented presented = KeyFormat.parse(KeyFormat.format(id, secret)).orElseThrow();
        assertEquals(id, presented.id());
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII)),
                presented.secretHash());
        String formatted = KeyFormat.format(id, secret);
        String badChecksum = formatted.substring(0, formatted.length() - 1)
                + (formatted.endsWith("A") ? "B" : "A");
        assertTrue(KeyFormat.parse(badChecksum).isEmpty(), "a wrong checksum is refused");
    }

    private static Optional<String> oracle(String key) {
        var matcher = SHAPE.matcher(key);
        if (!matcher.matches() || key.startsWith("sluice_sk_v")) {
            return Optional.empty();
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest(matcher.group(3).getBytes(StandardCharsets.US_ASCII));
            return Optional.of(matcher.group(2) + ":" + KeyFormat.hex(hash));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String text(KeyFormat.Presented presented) {
        return presented.id() + ":" + KeyFormat.hex(presented.secretHash());
    }
}
