package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.internal.StoredJson;
import dev.sluice.tenancy.internal.TenancyJson;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeyFormat;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.KeyRules;
import dev.sluice.tenancy.auth.KeySpec;
import dev.sluice.tenancy.internal.StoredKey;
import dev.sluice.tenancy.internal.TtlCache;

import io.lettuce.core.ScriptOutputType;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * API keys in Redis. {@code key:<id>} is a hash of {@code tenant}, {@code meta} (the key's JSON, with the SHA-256 of
 * its secret and never the secret) and {@code last-used-at} (epoch milliseconds); {@code tenant-keys:<tenant>} is a
 * sorted set of the tenant's key ids by issue sequence ({@code key-seq}), so "oldest first" holds across gateways
 * whatever their clocks. Key text and hashing are {@link KeyFormat}'s.
 *
 * <p>Verify reads through a short cache (see {@link RedisTenancy}): a revocation made through another instance is seen
 * within the cache ttl; one made through this instance at once. Last use is recorded at most once a minute per key
 * per instance, by a fire-and-forget script that only moves the time forward and never recreates a revoked key.
 *
 * <p>What reaches Redis: a key whose checksum fails never does ({@link KeyFormat}); an unknown id is read once per
 * cache ttl and remembered apart from known keys, so a flood of unknown ids costs one read each and evicts no known
 * key (see {@link TtlCache}). Bounding how many unknown ids one client may try is the gateway's per-address limit.
 *
 * <p>Threading: all methods are thread-safe; multi-key writes are single Lua scripts, atomic in Redis.
 */
final class RedisApiKeys implements ApiKeys {
    static final Duration LAST_USED_RESOLUTION = KeyRules.LAST_USED_RESOLUTION;

    /** Issues a key; with an expected old meta, also rewrites the old key, atomically, if it is unchanged. */
    private static final String STORE = """
            if ARGV[4] ~= '' and redis.call('HGET', KEYS[4], 'meta') ~= ARGV[4] then return 0 end
            if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
            if ARGV[4] ~= '' then redis.call('HSET', KEYS[4], 'meta', ARGV[5]) end
            redis.call('HSET', KEYS[1], 'tenant', ARGV[2], 'meta', ARGV[3])
            redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
            return 1
            """;
    private static final String REVOKE = """
            if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 0 end
            redis.call('DEL', KEYS[1])
            redis.call('ZREM', KEYS[2], ARGV[2])
            return 1
            """;
    private static final String REVOKE_ALL = """
            local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
            for _, id in ipairs(ids) do redis.call('DEL', ARGV[1] .. id) end
            redis.call('DEL', KEYS[1])
            return #ids
            """;
    private static final String LIST = """
            local out = {}
            for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
              local v = redis.call('HMGET', ARGV[1] .. id, 'meta', 'last-used-at')
              if v[1] then
                table.insert(out, v[1])
                table.insert(out, v[2] or '')
              end
            end
            return out
            """;
    private static final String TOUCH = """
            if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
            local current = redis.call('HGET', KEYS[1], 'last-used-at')
            if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
            redis.call('HSET', KEYS[1], 'last-used-at', ARGV[1])
            return 1
            """;
    private static final int MAX_ATTEMPTS = 5;

    private final TenancyRedis redis;
    private final InstantSource clock;
    private final SecureRandom random;
    private final TtlCache<String, Fetched> cache;
    /** When this instance last recorded each key's use: the once-a-minute gate. */
    private final Map<String, Instant> recorded = new ConcurrentHashMap<>();

    /** A stored key with the exact meta text, for compare-and-set on rotation. */
    private record Fetched(StoredKey key, String meta) {}

    RedisApiKeys(TenancyRedis redis, InstantSource clock, SecureRandom random, Duration cacheTtl,
                 LongSupplier nanoTime) {
        this.redis = redis;
        this.clock = clock;
        this.random = random;
        this.cache = new TtlCache<>(cacheTtl, nanoTime, RedisTenancy.MAX_CACHED);
    }

    @Override
    public IssuedKey issue(TenantUid tenant, KeySpec spec) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(spec, "spec");
        Instant now = clock.instant();
        KeyRules.checkExpiry(spec.expiresAt(), now);
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Optional<IssuedKey> issued = store(tenant, spec, now, null, null);
            if (issued.isPresent()) {
                return issued.get();
            }
        }
        throw new TenancyException.StorageFailure("tenancy store: no free key id after " + MAX_ATTEMPTS
                + " attempts", null);
    }

    /**
     * Stores a new key, and when {@code old} is given rewrites it to {@code previous} in the same script.
     *
     * @return empty when the id was taken or the old key changed meanwhile (the caller retries)
     */
    private Optional<IssuedKey> store(TenantUid tenant, KeySpec spec, Instant now, Fetched old, KeyMetadata previous) {
        String secret = KeyFormat.newSecret(random);
        String id = KeyFormat.newId(random);
        KeyMetadata metadata = new KeyMetadata(id, tenant, spec.name(), now, spec.expiresAt(), spec.scopes(),
                spec.functions(), Optional.empty());
        String meta = meta(new StoredKey(metadata, KeyFormat.sha256(secret)));
        String oldKey = old == null ? redis.key("key", id) : redis.key("key", old.key().metadata().id());
        Long result = redis.eval("issue key", STORE, ScriptOutputType.INTEGER,
                List.of(redis.key("key", id), redis.key("tenant-keys", tenant.value()), redis.key("key-seq"), oldKey),
                id, tenant.value(), meta, old == null ? "" : old.meta(),
                old == null ? "" : meta(old.key().withMetadata(previous)));
        if (old != null) {
            cache.invalidate(old.key().metadata().id());
        }
        if (result == 1) {
            // Someone may have presented this id before it existed; that "absent" must not outlive the issue here.
            cache.invalidate(id);
        }
        return result == 1 ? Optional.of(new IssuedKey(metadata, KeyFormat.format(id, secret))) : Optional.empty();
    }

    private static String meta(StoredKey key) {
        // last-used-at lives in its own hash field, written without touching meta.
        StoredKey withoutUse = key.withMetadata(key.metadata().withLastUsedAt(Optional.empty()));
        return StoredJson.compact(TenancyJson.writeKey(StoredJson.value("").newObject(), withoutUse));
    }

    @Override
    public List<KeyMetadata> list(TenantUid tenant) {
        Objects.requireNonNull(tenant, "tenant");
        List<Object> flat = redis.eval("list keys", LIST, ScriptOutputType.MULTI,
                List.of(redis.key("tenant-keys", tenant.value())), redis.key("key", ""));
        List<KeyMetadata> keys = new ArrayList<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            keys.add(parse("tenant-keys:" + tenant, (String) flat.get(i), (String) flat.get(i + 1)).key().metadata());
        }
        return keys;
    }

    @Override
    public Optional<Rotation> rotate(TenantUid tenant, String keyId, Duration overlap, Optional<Instant> expiresAt) {
        Objects.requireNonNull(tenant, "tenant");
        KeyRules.checkOverlap(overlap);
        Instant now = clock.instant();
        KeyRules.checkExpiry(expiresAt, now);
        if (keyId == null || !KeyFormat.ID.matcher(keyId).matches()) {
            return Optional.empty();
        }
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Optional<Fetched> current = load(keyId);
            if (current.isEmpty() || !current.get().key().metadata().tenant().equals(tenant)
                    || current.get().key().metadata().expiredAt(now)) {
                return Optional.empty();
            }
            KeyMetadata old = current.get().key().metadata();
            KeyMetadata previous = old.withExpiresAt(KeyRules.overlapEnd(old, now, overlap));
            Optional<IssuedKey> replacement = store(tenant, KeyRules.replacementSpec(old, expiresAt), now,
                    current.get(), previous);
            if (replacement.isPresent()) {
                return Optional.of(new Rotation(replacement.get(), previous));
            }
        }
        throw new TenancyException.StorageFailure("tenancy store: key " + keyId + " kept changing during rotation",
                null);
    }

    @Override
    public boolean revoke(TenantUid tenant, String keyId) {
        Objects.requireNonNull(tenant, "tenant");
        if (keyId == null || !KeyFormat.ID.matcher(keyId).matches()) {
            return false;
        }
        try {
            Long removed = redis.eval("revoke key", REVOKE, ScriptOutputType.INTEGER,
                    List.of(redis.key("key", keyId), redis.key("tenant-keys", tenant.value())), tenant.value(), keyId);
            return removed == 1;
        } finally {
            cache.invalidate(keyId);
            recorded.remove(keyId);
        }
    }

    @Override
    public void revokeAll(TenantUid tenant) {
        Objects.requireNonNull(tenant, "tenant");
        try {
            redis.eval("revoke keys", REVOKE_ALL, ScriptOutputType.INTEGER,
                    List.of(redis.key("tenant-keys", tenant.value())), redis.key("key", ""));
        } finally {
            cache.clear();
            recorded.clear();
        }
    }

    @Override
    public Optional<KeyMetadata> verify(String presentedKey) {
        Optional<KeyFormat.Presented> presented = KeyFormat.parse(presentedKey);
        if (presented.isEmpty()) {
            return Optional.empty();
        }
        String id = presented.get().id();
        Optional<StoredKey> key = cache.get(id, this::load).map(Fetched::key);
        boolean secretMatches = KeyFormat.matches(presented.get().secretHash(),
                key.map(StoredKey::secretHash).orElse(null));
        Instant now = clock.instant();
        if (key.isEmpty() || !secretMatches || key.get().metadata().expiredAt(now)) {
            return Optional.empty();
        }
        recordUse(key.get().metadata(), now);
        return Optional.of(key.get().metadata());
    }

    private void recordUse(KeyMetadata metadata, Instant now) {
        Instant last = recorded.get(metadata.id());
        Instant stored = metadata.lastUsedAt().orElse(null);
        if (stored != null && (last == null || stored.isAfter(last))) {
            last = stored;
        }
        if (last != null && now.isBefore(last.plus(LAST_USED_RESOLUTION))) {
            return;
        }
        recorded.put(metadata.id(), now);
        redis.evalLater(TOUCH, List.of(redis.key("key", metadata.id())), Long.toString(now.toEpochMilli()));
    }

    private Optional<Fetched> load(String id) {
        String key = redis.key("key", id);
        List<String> v = redis.call("get key", r -> r.hmget(key, "meta", "last-used-at").stream()
                .map(kv -> kv.getValueOrElse(null))
                .toList());
        return v.get(0) == null ? Optional.empty() : Optional.of(parse(key, v.get(0), v.get(1)));
    }

    private static Fetched parse(String source, String meta, String lastUsedMillis) {
        StoredJson value = StoredJson.value("redis " + source);
        StoredKey key = TenancyJson.readKey(value, value.parseObject(meta, "meta"), "meta");
        Optional<Instant> lastUsed = Optional.empty();
        if (lastUsedMillis != null && !lastUsedMillis.isEmpty()) {
            try {
                lastUsed = Optional.of(Instant.ofEpochMilli(Long.parseLong(lastUsedMillis)));
            } catch (NumberFormatException e) {
                throw value.corrupt("last-used-at: '" + lastUsedMillis + "' (expected: epoch milliseconds)", e);
            }
        }
        return new Fetched(key.withMetadata(key.metadata().withLastUsedAt(lastUsed)), meta);
    }
}
