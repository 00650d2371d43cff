package dev.sluice.scheduler;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Content digests of modules and asset trees, in the {@code sha256:<hex>} form the API shows and the hex form file
 * names use.
 */
public final class Digests {
    public static final String PREFIX = "sha256:";

    private Digests() {}

    public static String sha256(byte[] bytes) {
        try {
            return PREFIX + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static String hex(String digest) {
        if (!digest.startsWith(PREFIX) || !digest.substring(PREFIX.length()).matches("[0-9a-f]{64}")) {
            throw new SchedulerException.InvalidInput("digest: '" + digest + "' (expected: sha256:<64 hex digits>)");
        }
        return digest.substring(PREFIX.length());
    }
}
