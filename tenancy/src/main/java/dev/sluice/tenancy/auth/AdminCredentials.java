package dev.sluice.tenancy.auth;

import dev.sluice.tenancy.TenancyException;

import dev.sluice.config.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The operator's bearer token for the admin API. Only its SHA-256 is held in memory (and, when generated, on disk);
 * the token is 256 random bits, so a fast hash is enough, and hashing first makes every comparison the same length
 * and constant-time. Immutable and thread-safe.
 */
public final class AdminCredentials {
    static final String HASH_FILE = "admin-token.sha256";
    static final String TOKEN_FILE = "admin-token";
    static final String PREFIX = "sa_";

    private static final HexFormat HEX = HexFormat.of();

    private final byte[] tokenHash;

    private AdminCredentials(byte[] tokenHash) {
        this.tokenHash = tokenHash;
    }

    /**
     * The admin token: from tokenFromEnv when present (then only its hash is kept in memory; nothing new is written),
     * else generated on first start (32 random bytes, url-safe base64, prefixed "sa_"), stored only as a SHA-256 hash
     * in {@code <dataDir>/admin-token.sha256}, and shown once: passed to announce (the gateway prints it) and written
     * to {@code <dataDir>/admin-token} with permissions 0600. Later starts read the hash and generate nothing.
     *
     * @throws TenancyException.InvalidInput   when the token from the environment is blank
     * @throws TenancyException.StorageFailure when the hash file is unreadable or malformed, or cannot be written
     */
    public static AdminCredentials load(Path dataDir, Optional<String> tokenFromEnv, Consumer<String> announce) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(tokenFromEnv, "tokenFromEnv");
        Objects.requireNonNull(announce, "announce");
        if (tokenFromEnv.isPresent()) {
            String token = tokenFromEnv.get();
            if (token.isBlank()) {
                throw new TenancyException.InvalidInput("admin-token: blank (expected: a non-empty token)");
            }
            return new AdminCredentials(sha256(token));
        }
        Path hashFile = dataDir.resolve(HASH_FILE);
        Optional<byte[]> stored = readHash(hashFile);
        if (stored.isPresent()) {
            return new AdminCredentials(stored.get());
        }
        return generate(dataDir, hashFile, announce);
    }

    private static Optional<byte[]> readHash(Path hashFile) {
        String text;
        try {
            text = Files.readString(hashFile, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException absent) {
            return Optional.empty();
        } catch (IOException e) {
            throw new TenancyException.StorageFailure(hashFile + ": cannot read (" + e + ")", e);
        }
        try {
            byte[] hash = HEX.parseHex(text);
            if (hash.length == 32) {
                return Optional.of(hash);
            }
        } catch (IllegalArgumentException notHex) {
            // reported below
        }
        throw new TenancyException.StorageFailure(hashFile + ": not a SHA-256 (expected: 64 hex characters;"
                + " delete the file to generate a new admin token)", null);
    }

    private static AdminCredentials generate(Path dataDir, Path hashFile, Consumer<String> announce) {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        byte[] hash = sha256(token);
        Path tokenFile = dataDir.resolve(TOKEN_FILE);
        try {
            // The token file first: a crash before the hash is written just means a fresh token on the next start,
            // never a stored hash whose token nobody has seen.
            AtomicFiles.writeOwnerOnly(tokenFile, (token + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new TenancyException.StorageFailure(tokenFile + ": cannot write (" + e + ")", e);
        }
        try {
            AtomicFiles.writeOwnerOnly(hashFile, (HEX.formatHex(hash) + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new TenancyException.StorageFailure(hashFile + ": cannot write (" + e + ")", e);
        }
        announce.accept(token);
        return new AdminCredentials(hash);
    }

    /** Constant-time check of a presented bearer token. */
    public boolean verify(String presented) {
        return presented != null && MessageDigest.isEqual(sha256(presented), tokenHash);
    }

    @Override
    public String toString() {
        return "AdminCredentials[<redacted>]";
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
