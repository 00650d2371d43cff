package dev.sluice.scheduler;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Content digests of modules and asset trees, in the {@code sha256:<hex>} form the API shows and the hex form file
 * names use.
 */
public final class Digests {
    public static final String PREFIX = "sha256:";
    private static final Pattern DIGEST = Pattern.compile(PREFIX + "[0-9a-f]{64}");

    private Digests() {}

    public static String sha256(byte[] bytes) {
        try {
            return PREFIX + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Whether the text is a digest in the {@code sha256:<64 lowercase hex digits>} form; callers say what is wrong. */
    public static boolean isDigest(String text) {
        return DIGEST.matcher(text).matches();
    }

    static String hex(String digest) {
        if (!isDigest(digest)) {
            throw new SchedulerException.InvalidInput("digest: '" + digest + "' (expected: sha256:<64 hex digits>)");
        }
        return digest.substring(PREFIX.length());
    }
}
