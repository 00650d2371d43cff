package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeyFormat;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.KeyRules;
import dev.sluice.tenancy.auth.KeySpec;
import dev.sluice.tenancy.internal.StoredJson;
import dev.sluice.tenancy.internal.StoredKey;
import dev.sluice.tenancy.internal.TenancyJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * API keys in {@code <dataDir>/keys.json} (owner-only permissions), rewritten whole and atomically on every change;
 * the key text and hashing are {@link KeyFormat}'s. Entries written before scopes and function restrictions existed
 * load with every scope and no restriction.
 *
 * <p>Keys are kept, listed and stored in issue order, so "oldest first" holds even when the wall clock steps back.
 *
 * <p>Last use is kept in memory (at most one update a minute per key) and reaches the file with the next write or
 * {@link #flush}; a crash loses at most the uses since then.
 *
 * <p>Threading: {@link #verify} and {@link #list} read an immutable snapshot published through a volatile field and
 * never block. Writers serialize on a lock, persist the next snapshot, and only then publish it; so a revocation
 * is effective for every verify that starts after {@code revoke} returns, and a failed write changes nothing.
 */
final class FileApiKeys implements ApiKeys {
    static final String FILE_NAME = "keys.json";

    private final StoredJson json;
    private final InstantSource clock;
    private final SecureRandom random;
    private final Object writeLock = new Object();
    private final Map<String, Instant> lastUsed = new ConcurrentHashMap<>();
    private final AtomicBoolean lastUsedDirty = new AtomicBoolean();
    private volatile Map<String, StoredKey> keys;

    private FileApiKeys(StoredJson json, InstantSource clock, SecureRandom random, Map<String, StoredKey> keys) {
        this.json = json;
        this.clock = clock;
        this.random = random;
        this.keys = keys;
        keys.forEach((id, key) -> key.metadata().lastUsedAt().ifPresent(t -> lastUsed.put(id, t)));
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
            StoredKey key = TenancyJson.readKey(json, array.get(i), path);
            if (loaded.put(key.metadata().id(), key) != null) {
                throw json.corrupt(path + ".id: '" + key.metadata().id() + "' appears more than once", null);
            }
        }
        return Collections.unmodifiableMap(loaded);
    }

    @Override
    public IssuedKey issue(TenantUid tenant, KeySpec spec) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(spec, "spec");
        Instant now = clock.instant();
        KeyRules.checkExpiry(spec.expiresAt(), now);
        synchronized (writeLock) {
            LinkedHashMap<String, StoredKey> next = new LinkedHashMap<>(keys);
            IssuedKey issued = add(next, tenant, spec, now);
            publish(next);
            return issued;
        }
    }

    private IssuedKey add(LinkedHashMap<String, StoredKey> next, TenantUid tenant, KeySpec spec, Instant now) {
        String secret = KeyFormat.newSecret(random);
        String id;
        do {
            id = KeyFormat.newId(random);
        } while (next.containsKey(id));
        KeyMetadata metadata = new KeyMetadata(id, tenant, spec.name(), now, spec.expiresAt(), spec.scopes(),
                spec.functions(), Optional.empty());
        next.put(id, new StoredKey(metadata, KeyFormat.sha256(secret)));
        return new IssuedKey(metadata, KeyFormat.format(id, secret));
    }

    @Override
    public List<KeyMetadata> list(TenantUid tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return keys.values().stream()
                .map(StoredKey::metadata)
                .filter(m -> m.tenant().equals(tenant))
                .map(m -> m.withLastUsedAt(Optional.ofNullable(lastUsed.get(m.id()))))
                .toList();
    }

    @Override
    public Optional<Rotation> rotate(TenantUid tenant, String keyId, Duration overlap, Optional<Instant> expiresAt) {
        Objects.requireNonNull(tenant, "tenant");
        KeyRules.checkOverlap(overlap);
        Instant now = clock.instant();
        KeyRules.checkExpiry(expiresAt, now);
        synchronized (writeLock) {
            StoredKey old = keyId == null ? null : keys.get(keyId);
            if (old == null || !old.metadata().tenant().equals(tenant) || old.metadata().expiredAt(now)) {
                return Optional.empty();
            }
            LinkedHashMap<String, StoredKey> next = new LinkedHashMap<>(keys);
            KeyMetadata previous = old.metadata().withExpiresAt(KeyRules.overlapEnd(old.metadata(), now, overlap));
            next.put(keyId, old.withMetadata(previous));
            IssuedKey replacement = add(next, tenant, KeyRules.replacementSpec(previous, expiresAt), now);
            publish(next);
            return Optional.of(new Rotation(replacement,
                    previous.withLastUsedAt(Optional.ofNullable(lastUsed.get(keyId)))));
        }
    }

    @Override
    public boolean revoke(TenantUid tenant, String keyId) {
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
            lastUsed.remove(keyId);
            return true;
        }
    }

    @Override
    public void revokeAll(TenantUid tenant) {
        Objects.requireNonNull(tenant, "tenant");
        synchronized (writeLock) {
            LinkedHashMap<String, StoredKey> next = new LinkedHashMap<>(keys);
            if (next.values().removeIf(k -> k.metadata().tenant().equals(tenant))) {
                publish(next);
                lastUsed.keySet().retainAll(next.keySet());
            }
        }
    }

    @Override
    public Optional<KeyMetadata> verify(String presentedKey) {
        Optional<KeyFormat.Presented> presented = KeyFormat.parse(presentedKey);
        if (presented.isEmpty()) {
            return Optional.empty();
        }
        String id = presented.get().id();
        StoredKey key = keys.get(id);
        boolean secretMatches = KeyFormat.matches(presented.get().secretHash(), key == null ? null : key.secretHash());
        Instant now = clock.instant();
        if (key == null || !secretMatches || key.metadata().expiredAt(now)) {
            return Optional.empty();
        }
        Instant previous = lastUsed.get(id);
        if (previous == null || !now.isBefore(previous.plus(KeyRules.LAST_USED_RESOLUTION))) {
            lastUsed.put(id, now);
            lastUsedDirty.set(true);
        }
        return Optional.of(key.metadata().withLastUsedAt(Optional.ofNullable(previous)));
    }

    /** Writes last-use times recorded since the last write, if any; call periodically and at shutdown. */
    void flush() {
        if (lastUsedDirty.compareAndSet(true, false)) {
            synchronized (writeLock) {
                try {
                    persist(keys);
                } catch (RuntimeException e) {
                    lastUsedDirty.set(true);
                    throw e;
                }
            }
        }
    }

    private void publish(LinkedHashMap<String, StoredKey> next) {
        Map<String, StoredKey> snapshot = Collections.unmodifiableMap(next);
        persist(snapshot);
        keys = snapshot;
    }

    private void persist(Map<String, StoredKey> snapshot) {
        var root = json.newDocument();
        ArrayNode array = root.putArray("keys");
        for (StoredKey key : snapshot.values()) {
            Optional<Instant> used = Optional.ofNullable(lastUsed.get(key.metadata().id()));
            TenancyJson.writeKey(array.addObject(), key.withMetadata(key.metadata().withLastUsedAt(used)));
        }
        json.write(root, true);
    }
}
