package dev.sluice.tenancy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * API keys in {@code <dataDir>/keys.json} (owner-only permissions), rewritten whole and atomically on every change.
 *
 * <p>A key is {@code sk_<id>_<secret>}: {@code id} is 16 random lowercase hex characters, unique, and the map key for
 * lookup; {@code secret} is 32 bytes from {@link SecureRandom}, url-safe base64 without padding (43 characters; the
 * alphabet includes {@code _}, so the key is parsed by position, not split). Only the SHA-256 of the secret's text
 * is stored (hashing the text rather than the decoded bytes means no two spellings of one secret are accepted). A single fast hash is the right choice here, unlike for passwords: the secret carries 256 bits of entropy,
 * so there is nothing to brute-force, and verification sits on every request's path. Comparison uses
 * {@link MessageDigest#isEqual}, which is constant-time for equal-length digests.
 *
 * <p>Keys are kept, listed and stored in issue order, so "oldest first" holds even when the wall clock steps back.
 *
 * <p>Threading: {@link #verify} and {@link #list} read an immutable snapshot published through a volatile field and
 * never block. Writers serialize on a lock, persist the next snapshot, and only then publish it; so a revocation
 * is effective for every verify that starts after {@code revoke} returns, and a failed write changes nothing.
 */
final class FileApiKeys implements ApiKeys {
    static final String FILE_NAME = "keys.json";
    static final String PREFIX = "sk_";
    static final int ID_LENGTH = 16;
    static final int SECRET_BYTES = 32;
    static final int MAX_NAME_LENGTH = 100;

    private static final Pattern ID = Pattern.compile("[0-9a-f]{" + ID_LENGTH + "}");
    /** 32 bytes in unpadded base64: 43 characters; the last carries 4 data bits and two zero bits. */
    private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]");
    private static final int KEY_LENGTH = PREFIX.length() + ID_LENGTH + 1 + 43;
    private static final HexFormat HEX = HexFormat.of();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    /** Compared against when the id is unknown, so that path costs the same hash and compare as a wrong secret. */
    private static final byte[] DUMMY_HASH = new byte[32];

    private final StoredJson json;
    private final InstantSource clock;
    private final SecureRandom random;
    private final Object writeLock = new Object();
    private volatile Map<String, StoredKey> keys;

    private FileApiKeys(StoredJson json, InstantSource clock, SecureRandom random, Map<String, StoredKey> keys) {
        this.json = json;
        this.clock = clock;
        this.random = random;
        this.keys = keys;
    }

    static FileApiKeys open(Path dataDir, InstantSource clock, SecureRandom random) {
        StoredJson json = new StoredJson(dataDir.resolve(FILE_NAME));
        Optional<JsonNode> stored = json.readArray("keys");
        FileApiKeys apiKeys = new FileApiKeys(json, clock, random, load(json, stored));
        if (stored.isEmpty()) {
            apiKeys.persist(apiKeys.keys);
        }
        return apiKeys;
    }

    private static Map<String, StoredKey> load(StoredJson json, Optional<JsonNode> stored) {
        LinkedHashMap<String, StoredKey> loaded = new LinkedHashMap<>();
        if (stored.isEmpty()) {
            return Map.of();
        }
        JsonNode array = stored.get();
        for (int i = 0; i < array.size(); i++) {
            String path = "keys[" + i + "]";
            ObjectNode node = json.object(array.get(i), path);
            String id = json.text(node, "id", path);
            if (!ID.matcher(id).matches()) {
                throw json.corrupt(path + ".id: '" + id + "' (expected: " + ID_LENGTH + " lowercase hex characters)",
                        null);
            }
            String tenantText = json.text(node, "tenant", path);
            TenantId tenant = json.domain(path + ".tenant", () -> TenantId.of(tenantText));
            String name = json.text(node, "name", path);
            json.domain(path, () -> {
                checkName(name);
                return name;
            });
            String hashText = json.text(node, "secret-sha256", path);
            byte[] hash;
            try {
                hash = HEX.parseHex(hashText);
            } catch (IllegalArgumentException e) {
                hash = null;
            }
            if (hash == null || hash.length != 32) {
                throw json.corrupt(path + ".secret-sha256: not a SHA-256 (expected: 64 hex characters)", null);
            }
            Instant createdAt = json.instant(node, "created-at", path);
            Optional<Instant> expiresAt = json.optionalInstant(node, "expires-at", path);
            KeyMetadata metadata = new KeyMetadata(id, tenant, name, createdAt, expiresAt);
            if (loaded.put(id, new StoredKey(metadata, hash)) != null) {
                throw json.corrupt(path + ".id: '" + id + "' appears more than once", null);
            }
        }
        return Collections.unmodifiableMap(loaded);
    }

    @Override
    public IssuedKey issue(TenantId tenant, String name, Optional<Instant> expiresAt) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(expiresAt, "expiresAt");
        checkName(name);
        Instant now = clock.instant();
        expiresAt.ifPresent(e -> {
            if (!e.isAfter(now)) {
                throw new TenancyException.InvalidInput("expires-at: " + e + " (expected: after " + now + ")");
            }
        });
        byte[] secretBytes = new byte[SECRET_BYTES];
        random.nextBytes(secretBytes);
        String secret = BASE64URL.encodeToString(secretBytes);
        synchronized (writeLock) {
            String id;
            do {
                byte[] idBytes = new byte[ID_LENGTH / 2];
                random.nextBytes(idBytes);
                id = HEX.formatHex(idBytes);
            } while (keys.containsKey(id));
            KeyMetadata metadata = new KeyMetadata(id, tenant, name, now, expiresAt);
            LinkedHashMap<String, StoredKey> next = new LinkedHashMap<>(keys);
            next.put(id, new StoredKey(metadata, sha256(secret)));
            publish(next);
            return new IssuedKey(metadata, PREFIX + id + "_" + secret);
        }
    }

    @Override
    public List<KeyMetadata> list(TenantId tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return keys.values().stream()
                .map(StoredKey::metadata)
                .filter(m -> m.tenant().equals(tenant))
                .toList();
    }

    @Override
    public boolean revoke(TenantId tenant, String keyId) {
        Objects.requireNonNull(tenant, "tenant");
        if (keyId == null) {
            return false;
        }
        synchronized (writeLock) {
            StoredKey key = keys.get(keyId);
            if (key == null || !key.metadata().tenant().equals(tenant)) {
                return false;
            }
            LinkedHashMap<String, StoredKey> next = new LinkedHashMap<>(keys);
            next.remove(keyId);
            publish(next);
            return true;
        }
    }

    @Override
    public void revokeAll(TenantId tenant) {
        Objects.requireNonNull(tenant, "tenant");
        synchronized (writeLock) {
            LinkedHashMap<String, StoredKey> next = new LinkedHashMap<>(keys);
            if (next.values().removeIf(k -> k.metadata().tenant().equals(tenant))) {
                publish(next);
            }
        }
    }

    @Override
    public Optional<KeyMetadata> verify(String presentedKey) {
        if (presentedKey == null || presentedKey.length() != KEY_LENGTH || !presentedKey.startsWith(PREFIX)
                || presentedKey.charAt(PREFIX.length() + ID_LENGTH) != '_') {
            return Optional.empty();
        }
        String id = presentedKey.substring(PREFIX.length(), PREFIX.length() + ID_LENGTH);
        String secret = presentedKey.substring(PREFIX.length() + ID_LENGTH + 1);
        if (!ID.matcher(id).matches() || !SECRET.matcher(secret).matches()) {
            return Optional.empty();
        }
        StoredKey key = keys.get(id);
        boolean secretMatches = MessageDigest.isEqual(sha256(secret), key == null ? DUMMY_HASH : key.secretHash());
        if (key == null || !secretMatches || key.metadata().expiredAt(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(key.metadata());
    }

    static void checkName(String name) {
        String expected = " (expected: 1 to " + MAX_NAME_LENGTH + " printable characters)";
        if (name == null || name.isBlank()) {
            throw new TenancyException.InvalidInput("name: " + (name == null ? "missing" : "blank") + expected);
        }
        int length = name.codePointCount(0, name.length());
        if (length > MAX_NAME_LENGTH) {
            throw new TenancyException.InvalidInput("name: " + length + " characters" + expected);
        }
        int[] codePoints = name.codePoints().toArray();
        for (int i = 0; i < codePoints.length; i++) {
            if (!printable(codePoints[i])) {
                // The offending text is not echoed: it may hold control sequences meant for a terminal or log.
                throw new TenancyException.InvalidInput(String.format(
                        "name: non-printable character U+%04X at position %d%s", codePoints[i], i, expected));
            }
        }
    }

    private static boolean printable(int codePoint) {
        return switch (Character.getType(codePoint)) {
            case Character.CONTROL, Character.FORMAT, Character.UNASSIGNED, Character.SURROGATE,
                 Character.PRIVATE_USE, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }

    private void publish(LinkedHashMap<String, StoredKey> next) {
        Map<String, StoredKey> snapshot = Collections.unmodifiableMap(next);
        persist(snapshot);
        keys = snapshot;
    }

    private void persist(Map<String, StoredKey> snapshot) {
        ObjectNode root = json.newDocument();
        ArrayNode array = root.putArray("keys");
        for (StoredKey key : snapshot.values()) {
            KeyMetadata m = key.metadata();
            ObjectNode node = array.addObject();
            node.put("id", m.id());
            node.put("tenant", m.tenant().value());
            node.put("name", m.name());
            node.put("secret-sha256", HEX.formatHex(key.secretHash()));
            node.put("created-at", m.createdAt().toString());
            m.expiresAt().ifPresent(e -> node.put("expires-at", e.toString()));
        }
        json.write(root, true);
    }

    private static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** A key as stored: its metadata and the SHA-256 of its secret part. */
    private record StoredKey(KeyMetadata metadata, byte[] secretHash) {
        @Override
        public String toString() {
            return "StoredKey[" + metadata + "]";
        }
    }
}
