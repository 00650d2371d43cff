package dev.sluice.tenancy.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The text of an API key, shared by every {@link ApiKeys} store. Issued keys read
 * {@code sluice_sk_v2_<id>_<secret><checksum>}; the earlier {@code sluice_sk_<id>_<secret>} and the legacy
 * {@code sk_<id>_<secret>} are accepted on input. {@code id} is 16 random lowercase hex characters; {@code secret} is
 * 32 bytes from {@link SecureRandom} in url-safe base64 without padding (43 characters; the alphabet includes
 * {@code _}, so keys are parsed by position, not split). Only the SHA-256 of the secret's text is stored (hashing the
 * text rather than the decoded bytes means no two spellings of one secret are accepted). A single fast hash is right
 * here, unlike for passwords: the secret carries 256 bits of entropy, so there is nothing to brute-force, and
 * verification sits on every request's path.
 *
 * <p>{@code checksum} is the CRC32 of everything before it, in 6 base62 digits (as GitHub tokens carry one): a typo or
 * a forged key is refused here, offline, before any store is asked. It is no secret and no signature (anyone can
 * compute it), so it stops noise and random floods, not a forger who knows the format; those meet the negative cache
 * and the gateway's per-address limit on failed authentications. The {@code v} after {@code sluice_sk_} is not a hex
 * digit, so the old and new shapes never overlap and secret scanners can tell them apart. Keys in the older shapes
 * carry no checksum and keep verifying; the same id and secret in any shape is the same key.
 */
public final class KeyFormat {
    static final String PREFIX = "sluice_sk_v2_";
    static final String UNCHECKED_PREFIX = "sluice_sk_";
    static final String LEGACY_PREFIX = "sk_";
    public static final int ID_LENGTH = 16;
    static final int SECRET_BYTES = 32;
    static final int SECRET_LENGTH = 43;
    static final int CHECKSUM_LENGTH = 6;
    private static final int[] CRC_TABLE = crcTable();
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static final Pattern ID = Pattern.compile("[0-9a-f]{" + ID_LENGTH + "}");
    /**
     * A secret is 32 bytes in unpadded base64url, {@code [A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]}: 43 characters, the last
     * carrying 4 data bits and two zero bits, so it is one of these.
     */
    private static final String SECRET_LAST = "AEIMQUYcgkosw048";
    /**
     * Cloned for each hash: {@link MessageDigest#getInstance} looks the provider up again on every call, which cost
     * as much as the hash itself on each request's path. The prototype is never updated, so clones are independent.
     */
    private static final MessageDigest SHA256 = newSha256();
    private static final HexFormat HEX = HexFormat.of();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    /** Compared against when the id is unknown, so that path costs the same hash and compare as a wrong secret. */
    static final byte[] DUMMY_HASH = new byte[32];

    private KeyFormat() {}

    /** A presented key, split; its secret is hashed at once and never kept. */
    public record Presented(String id, byte[] secretHash) {}

    public static Optional<Presented> parse(String presented) {
        if (presented == null) {
            return Optional.empty();
        }
        if (presented.startsWith(PREFIX)) {
            int body = presented.length() - CHECKSUM_LENGTH;
            // Checked before the shape and the hash: a forged key costs a CRC over 73 characters and nothing more.
            if (body != PREFIX.length() + ID_LENGTH + 1 + SECRET_LENGTH
                    || !presented.regionMatches(body, checksum(presented, body), 0, CHECKSUM_LENGTH)) {
                return Optional.empty();
            }
            return split(presented, body, PREFIX);
        }
        return split(presented, presented.length(),
                presented.startsWith(UNCHECKED_PREFIX) ? UNCHECKED_PREFIX : LEGACY_PREFIX);
    }

    /** The key in {@code presented}'s first {@code end} characters (the rest is its checksum). */
    private static Optional<Presented> split(String presented, int end, String prefix) {
        if (end != prefix.length() + ID_LENGTH + 1 + SECRET_LENGTH || !presented.startsWith(prefix)
                || presented.charAt(prefix.length() + ID_LENGTH) != '_') {
            return Optional.empty();
        }
        int idStart = prefix.length();
        int secretStart = idStart + ID_LENGTH + 1;
        // The id's and the secret's shapes, checked in place: this runs on every request.
        if (!isId(presented, idStart) || !isSecret(presented, secretStart)) {
            return Optional.empty();
        }
        return Optional.of(new Presented(presented.substring(idStart, idStart + ID_LENGTH),
                sha256(presented.substring(secretStart, end))));
    }

    /** {@link #ID} at {@code from}: {@value #ID_LENGTH} lowercase hex digits. */
    private static boolean isId(String text, int from) {
        for (int i = from; i < from + ID_LENGTH; i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** A secret's shape (see {@link #SECRET_LAST}) at {@code from} (the caller checked the length). */
    private static boolean isSecret(String text, int from) {
        int last = from + SECRET_LENGTH - 1;
        for (int i = from; i < last; i++) {
            char c = text.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return false;
            }
        }
        return SECRET_LAST.indexOf(text.charAt(last)) >= 0;
    }

    /**
     * The standard CRC32 (as {@link java.util.zip.CRC32}, so a secret scanner can check it with any library) of the
     * first {@code length} characters (ASCII; of anything else only the low byte counts, and such a key fails the
     * shape check anyway), in base62. Table-driven over the chars: no array copy for a key that is rejected.
     */
    public static String checksum(String text, int length) {
        int crc = 0xFFFFFFFF;
        for (int i = 0; i < length; i++) {
            crc = CRC_TABLE[(crc ^ text.charAt(i)) & 0xFF] ^ (crc >>> 8);
        }
        long value = Integer.toUnsignedLong(~crc);
        char[] digits = new char[CHECKSUM_LENGTH];
        for (int i = CHECKSUM_LENGTH - 1; i >= 0; i--) {
            digits[i] = BASE62.charAt((int) (value % 62));
            value /= 62;
        }
        return new String(digits);
    }

    private static int[] crcTable() {
        int[] table = new int[256];
        for (int n = 0; n < 256; n++) {
            int c = n;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
            }
            table[n] = c;
        }
        return table;
    }

    public static String newId(SecureRandom random) {
        byte[] bytes = new byte[ID_LENGTH / 2];
        random.nextBytes(bytes);
        return HEX.formatHex(bytes);
    }

    public static String newSecret(SecureRandom random) {
        byte[] bytes = new byte[SECRET_BYTES];
        random.nextBytes(bytes);
        return BASE64URL.encodeToString(bytes);
    }

    public static String format(String id, String secret) {
        String body = PREFIX + id + "_" + secret;
        return body + checksum(body, body.length());
    }

    public static boolean matches(byte[] presentedHash, byte[] storedHash) {
        return MessageDigest.isEqual(presentedHash, storedHash == null ? DUMMY_HASH : storedHash);
    }

    public static byte[] sha256(String secret) {
        return sha256().digest(secret.getBytes(StandardCharsets.US_ASCII));
    }

    /** A fresh SHA-256 digest, cheaply (a clone of a prototype). */
    public static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA256.clone();
        } catch (CloneNotSupportedException e) {
            return newSha256();   // a provider whose digest cannot be cloned: look it up each time
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    public static String hex(byte[] hash) {
        return HEX.formatHex(hash);
    }

    /** The 32-byte hash from its hex text, or null when the text is not one. */
    public static byte[] parseHash(String text) {
        try {
            byte[] hash = HEX.parseHex(text);
            return hash.length == 32 ? hash : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
