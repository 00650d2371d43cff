package dev.sluice.tenancy.local;

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
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * API keys: each change is one record in the {@link TenancyLog} journal; {@code <dataDir>/keys.json} (owner-only
 * permissions) is their snapshot. The key text and hashing are {@link KeyFormat}'s. Entries written before scopes and
 * function restrictions existed load with every scope and no restriction.
 *
 * <p>Keys are kept, listed and stored in issue order, so "oldest first" holds even when the wall clock steps back.
 *
 * <p>Last use is kept in memory (at most one update a minute per key) and reaches the journal with the next
 * {@link #flush}, as one record of the keys used since the last; a crash loses at most the uses since then.
 *
 * <p>Threading: {@link #verify} and {@link #list} read a concurrent map and never block. Writers serialize on a lock,
 * append their record durably, and only then change the map; so a revocation is effective for every verify that starts
 * after {@code revoke} returns, and a failed write changes nothing. A write costs one record, whatever the number of
 * keys.
 */
final class FileApiKeys implements ApiKeys {
    static final String FILE_NAME = "keys.json";
    static final String CHANGE = "keys";
    static final String LAST_USED = "last-used";

    private final StoredJson json;
    private final InstantSource clock;
    private final SecureRandom random;
    private final Object writeLock = new Object();
    private final Map<String, Instant> lastUsed = new ConcurrentHashMap<>();
    private final Set<String> lastUsedDirty = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Held> keys;
    private final long snapshotSeq;
    private final boolean snapshotMissing;
    /** Issue order of the next key; guarded by writeLock after open. */
    private long nextOrder;
    private TenancyLog log;

    /** A key and its place in issue order. */
    private record Held(StoredKey key, long order) {}

    private FileApiKeys(StoredJson json, InstantSource clock, SecureRandom random, List<StoredKey> loaded,
                        long snapshotSeq, boolean snapshotMissing) {
        this.json = json;
        this.clock = clock;
        this.random = random;
        this.keys = new ConcurrentHashMap<>(Math.max(16, loaded.size() * 2));
        for (StoredKey key : loaded) {
            keys.put(key.metadata().id(), new Held(key, nextOrder++));
            key.metadata().lastUsedAt().ifPresent(t -> lastUsed.put(key.metadata().id(), t));
        }
        this.snapshotSeq = snapshotSeq;
        this.snapshotMissing = snapshotMissing;
    }

    /** Loads the snapshot; the store works once {@link TenancyLog} has replayed the journal and attached itself. */
    static FileApiKeys open(Path dataDir, InstantSource clock, SecureRandom random) {
        StoredJson json = new StoredJson(dataDir.resolve(FILE_NAME));
        Optional<StoredJson.Document> stored = json.readDocument("keys");
        return new FileApiKeys(json, clock, random, load(json, stored.map(StoredJson.Document::array)),
                stored.map(StoredJson.Document::seq).orElse(0L), stored.isEmpty());
    }

    long snapshotSeq() {
        return snapshotSeq;
    }

    Object writeLock() {
        return writeLock;
    }

    void attach(TenancyLog log) {
        this.log = log;
        if (snapshotMissing) {
            captureSnapshot(log.lastSeq()).getAsLong();
        }
    }

    private static List<StoredKey> load(StoredJson json, Optional<JsonNode> stored) {
        if (stored.isEmpty()) {
            return List.of();
        }
        LinkedHashMap<String, StoredKey> loaded = new LinkedHashMap<>();
        JsonNode array = stored.get();
        for (int i = 0; i < array.size(); i++) {
            String path = "keys[" + i + "]";
            StoredKey key = TenancyJson.readKey(json, array.get(i), path);
            if (loaded.put(key.metadata().id(), key) != null) {
                throw json.corrupt(path + ".id: '" + key.metadata().id() + "' appears more than once", null);
            }
        }
        return List.copyOf(loaded.values());
    }

    /** Applies a journal record written after the snapshot. */
    void replay(long seq, String op, ObjectNode record, StoredJson source) {
        if (seq <= snapshotSeq) {
            return;
        }
        if (op.equals(LAST_USED)) {
            ObjectNode at = source.object(record.get("at"), "record.at");
            at.fieldNames().forEachRemaining(id -> {
                if (keys.containsKey(id)) {
                    lastUsed.put(id, source.instant(at, id, "record.at"));
                }
            });
            return;
        }
        JsonNode put = record.path("put");
        for (int i = 0; i < put.size(); i++) {
            StoredKey key = TenancyJson.readKey(source, put.get(i), "record.put[" + i + "]");
            store(key);
        }
        JsonNode delete = record.path("delete");
        for (int i = 0; i < delete.size(); i++) {
            String id = delete.get(i).asText();
            keys.remove(id);
            lastUsed.remove(id);
        }
    }

    /** Adds or replaces a key, keeping a replaced key's place in issue order; call with the write lock held. */
    private void store(StoredKey key) {
        String id = key.metadata().id();
        Held held = keys.get(id);
        keys.put(id, new Held(key, held == null ? nextOrder++ : held.order()));
    }

    /** Copies the keys (call with the write lock held); the result writes them as the snapshot at {@code seq}. */
    LongSupplier captureSnapshot(long seq) {
        List<Held> held = new ArrayList<>(keys.values());
        Map<String, Instant> used = Map.copyOf(lastUsed);
        return () -> {
            held.sort(Comparator.comparingLong(Held::order));
            var root = json.newDocument(seq);
            ArrayNode array = root.putArray("keys");
            for (Held h : held) {
                StoredKey key = h.key();
                Optional<Instant> at = Optional.ofNullable(used.get(key.metadata().id()));
                TenancyJson.writeKey(array.addObject(), key.withMetadata(key.metadata().withLastUsedAt(at)));
            }
            return json.write(root, true);
        };
    }

    @Override
    public IssuedKey issue(TenantUid tenant, KeySpec spec) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(spec, "spec");
        Instant now = clock.instant();
        KeyRules.checkExpiry(spec.expiresAt(), now);
        synchronized (writeLock) {
            String secret = KeyFormat.newSecret(random);
            StoredKey key = newKey(tenant, spec, now, secret);
            commit(List.of(key), List.of());
            return new IssuedKey(key.metadata(), KeyFormat.format(key.metadata().id(), secret));
        }
    }

    /** A key with a fresh id; call with the write lock held. */
    private StoredKey newKey(TenantUid tenant, KeySpec spec, Instant now, String secret) {
        String id;
        do {
            id = KeyFormat.newId(random);
        } while (keys.containsKey(id));
        KeyMetadata metadata = new KeyMetadata(id, tenant, spec.name(), now, spec.expiresAt(), spec.scopes(),
                spec.functions(), Optional.empty());
        return new StoredKey(metadata, KeyFormat.sha256(secret));
    }

    /** Appends one record putting and deleting these keys, then applies it; call with the write lock held. */
    private void commit(List<StoredKey> put, List<String> delete) {
        ObjectNode record = json.newObject().put("op", CHANGE);
        if (!put.isEmpty()) {
            ArrayNode array = record.putArray("put");
            put.forEach(key -> TenancyJson.writeKey(array.addObject(), key));
        }
        if (!delete.isEmpty()) {
            ArrayNode array = record.putArray("delete");
            delete.forEach(array::add);
        }
        log.append(record);
        put.forEach(this::store);
        for (String id : delete) {
            keys.remove(id);
            lastUsed.remove(id);
        }
    }

    @Override
    public List<KeyMetadata> list(TenantUid tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return keys.values().stream()
                .filter(h -> h.key().metadata().tenant().equals(tenant))
                .sorted(Comparator.comparingLong(Held::order))
                .map(h -> h.key().metadata())
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
            Held held = keyId == null ? null : keys.get(keyId);
            StoredKey old = held == null ? null : held.key();
            if (old == null || !old.metadata().tenant().equals(tenant) || old.metadata().expiredAt(now)) {
                return Optional.empty();
            }
            KeyMetadata previous = old.metadata().withExpiresAt(KeyRules.overlapEnd(old.metadata(), now, overlap));
            String secret = KeyFormat.newSecret(random);
            StoredKey replacement = newKey(tenant, KeyRules.replacementSpec(previous, expiresAt), now, secret);
            commit(List.of(old.withMetadata(previous), replacement), List.of());
            return Optional.of(new Rotation(
                    new IssuedKey(replacement.metadata(), KeyFormat.format(replacement.metadata().id(), secret)),
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
            Held held = keys.get(keyId);
            if (held == null || !held.key().metadata().tenant().equals(tenant)) {
                return false;
            }
            commit(List.of(), List.of(keyId));
            return true;
        }
    }

    @Override
    public void revokeAll(TenantUid tenant) {
        Objects.requireNonNull(tenant, "tenant");
        synchronized (writeLock) {
            List<String> ids = keys.values().stream()
                    .filter(h -> h.key().metadata().tenant().equals(tenant))
                    .map(h -> h.key().metadata().id())
                    .toList();
            if (!ids.isEmpty()) {
                commit(List.of(), ids);
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
        Held held = keys.get(id);
        StoredKey key = held == null ? null : held.key();
        boolean secretMatches = KeyFormat.matches(presented.get().secretHash(), key == null ? null : key.secretHash());
        Instant now = clock.instant();
        if (key == null || !secretMatches || key.metadata().expiredAt(now)) {
            return Optional.empty();
        }
        Instant previous = lastUsed.get(id);
        if (previous == null || !now.isBefore(previous.plus(KeyRules.LAST_USED_RESOLUTION))) {
            lastUsed.put(id, now);
            lastUsedDirty.add(id);
        }
        return Optional.of(key.metadata().withLastUsedAt(Optional.ofNullable(previous)));
    }

    /**
     * Writes the last-use times recorded since the last flush, if any, as one record of just those keys; call
     * periodically and at shutdown.
     */
    void flush() {
        if (lastUsedDirty.isEmpty()) {
            return;
        }
        synchronized (writeLock) {
            List<String> ids = new ArrayList<>(lastUsedDirty);
            lastUsedDirty.removeAll(ids);
            ObjectNode record = json.newObject().put("op", LAST_USED);
            ObjectNode at = record.putObject("at");
            for (String id : ids) {
                Instant used = lastUsed.get(id);
                if (used != null && keys.containsKey(id)) {
                    at.put(id, used.toString());
                }
            }
            if (at.isEmpty()) {
                return;
            }
            try {
                log.append(record);
            } catch (RuntimeException e) {
                lastUsedDirty.addAll(ids);
                throw e;
            }
        }
    }
}
