package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.internal.StoredJson;
import dev.sluice.tenancy.internal.TenancyJson;
import dev.sluice.tenancy.internal.TtlCache;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.Plan;

import io.lettuce.core.ScriptOutputType;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Tenants in Redis: {@code tenant:<id>} is a hash of {@code uid}, {@code plan} (empty for none), {@code overrides}
 * (JSON), {@code created-at} and {@code updated-at}; {@code tenants} is the set of ids. A hash written before uids
 * existed has none: it reads as the {@link TenantUid#legacy} uid, which its next update writes. Writes are scripts, so the plan's
 * existence check and the {@code plan-tenants:<plan>} index change atomically with the tenant. Reads go through a
 * short cache, see {@link RedisTenancy}.
 */
final class RedisTenantStore implements TenantStore {
    private static final String PUT = """
            local plan = ARGV[3]
            if plan ~= '' and redis.call('EXISTS', ARGV[1] .. 'plan:' .. plan) == 0 then return {-1, ''} end
            local old = redis.call('HGET', KEYS[1], 'plan')
            if old and old ~= '' then redis.call('SREM', ARGV[1] .. 'plan-tenants:' .. old, ARGV[2]) end
            if plan ~= '' then redis.call('SADD', ARGV[1] .. 'plan-tenants:' .. plan, ARGV[2]) end
            local created = redis.call('HSETNX', KEYS[1], 'created-at', ARGV[5])
            redis.call('HSETNX', KEYS[1], 'uid', created == 1 and ARGV[6] or ARGV[2])
            redis.call('HSET', KEYS[1], 'plan', plan, 'overrides', ARGV[4], 'updated-at', ARGV[5])
            redis.call('SADD', KEYS[2], ARGV[2])
            return {created, redis.call('HGET', KEYS[1], 'created-at'), redis.call('HGET', KEYS[1], 'uid')}
            """;
    private static final String DELETE = """
            if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
            local plan = redis.call('HGET', KEYS[1], 'plan')
            if plan and plan ~= '' then redis.call('SREM', ARGV[1] .. 'plan-tenants:' .. plan, ARGV[2]) end
            redis.call('DEL', KEYS[1])
            redis.call('SREM', KEYS[2], ARGV[2])
            return 1
            """;
    private static final String LIST = """
            local out = {}
            for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              local v = redis.call('HMGET', ARGV[1] .. id, 'plan', 'overrides', 'created-at', 'updated-at', 'uid')
              if v[3] then
                table.insert(out, id)
                table.insert(out, v[1] or '')
                table.insert(out, v[2] or '{}')
                table.insert(out, v[3])
                table.insert(out, v[4] or v[3])
                table.insert(out, v[5] or id)
              end
            end
            return out
            """;

    private final TenancyRedis redis;
    private final InstantSource clock;
    private final RandomGenerator random;
    private final TtlCache<TenantId, Tenant> cache;

    RedisTenantStore(TenancyRedis redis, InstantSource clock, RandomGenerator random,
                     TtlCache<TenantId, Tenant> cache) {
        this.redis = redis;
        this.clock = clock;
        this.random = random;
        this.cache = cache;
    }

    @Override
    public PutResult put(TenantId id, Optional<String> plan, LimitOverrides overrides) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(overrides, "overrides");
        plan.ifPresent(Plan::checkName);
        Instant now = clock.instant();
        String json = StoredJson.compact(TenancyJson.writeOverrides(StoredJson.value("").newObject(), overrides));
        try {
            List<Object> result = redis.eval("put tenant", PUT, ScriptOutputType.MULTI,
                    List.of(redis.key("tenant", id.value()), redis.key("tenants")),
                    redis.base(), id.value(), plan.orElse(""), json, now.toString(),
                    TenantUid.create(id, random).value());
            long status = (Long) result.get(0);
            if (status < 0) {
                throw new TenancyException.InvalidInput("plan: '" + plan.orElseThrow() + "' (no such plan)");
            }
            String key = redis.key("tenant", id.value());
            Instant createdAt = instant(key, "created-at", (String) result.get(1));
            return new PutResult(new Tenant(id, uid(key, id, (String) result.get(2)), plan, overrides, createdAt, now),
                    status == 1);
        } finally {
            cache.invalidate(id);
        }
    }

    @Override
    public Optional<Tenant> find(TenantId id) {
        return id == null ? Optional.empty() : cache.get(id, this::load);
    }

    private Optional<Tenant> load(TenantId id) {
        String key = redis.key("tenant", id.value());
        List<String> v = redis.call("get tenant",
                r -> r.hmget(key, "plan", "overrides", "created-at", "updated-at", "uid").stream()
                        .map(kv -> kv.getValueOrElse(null))
                        .toList());
        if (v.get(2) == null) {
            return Optional.empty();
        }
        return Optional.of(parse(key, id, v.get(0), v.get(1), v.get(2), v.get(3) == null ? v.get(2) : v.get(3),
                v.get(4)));
    }

    private static Tenant parse(String key, TenantId id, String plan, String overrides, String createdAt,
                                String updatedAt, String uid) {
        StoredJson value = StoredJson.value("redis " + key);
        Optional<String> planName = plan == null || plan.isEmpty() ? Optional.empty()
                : Optional.of(value.domain("plan", () -> Plan.checkName(plan)));
        LimitOverrides parsed = TenancyJson.readOverrides(value,
                value.parseObject(overrides == null ? "{}" : overrides, "overrides"), "overrides");
        return new Tenant(id, uid(key, id, uid), planName, parsed, instant(key, "created-at", createdAt),
                instant(key, "updated-at", updatedAt));
    }

    /** The stored uid, or the legacy one for a hash written before uids; one of another tenant is corrupt. */
    private static TenantUid uid(String key, TenantId id, String text) {
        if (text == null) {
            return TenantUid.legacy(id);
        }
        TenantUid uid = StoredJson.value("redis " + key).domain("uid", () -> TenantUid.of(text));
        if (!uid.name().equals(id)) {
            throw new TenancyException.StorageFailure("redis " + key + ": uid: '" + text + "' (expected: one of tenant "
                    + id + ")", null);
        }
        return uid;
    }

    private static Instant instant(String key, String field, String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeException | NullPointerException e) {
            throw new TenancyException.StorageFailure("redis " + key + ": " + field + ": '" + text
                    + "' (expected: ISO-8601 instant)", e);
        }
    }

    @Override
    public List<Tenant> list() {
        List<Object> flat = redis.eval("list tenants", LIST, ScriptOutputType.MULTI, List.of(redis.key("tenants")),
                redis.key("tenant", ""));
        List<Tenant> tenants = new ArrayList<>();
        for (int i = 0; i + 5 < flat.size(); i += 6) {
            String idText = (String) flat.get(i);
            String key = redis.key("tenant", idText);
            TenantId id = StoredJson.value("redis " + key).domain("id", () -> TenantId.of(idText));
            tenants.add(parse(key, id, (String) flat.get(i + 1), (String) flat.get(i + 2), (String) flat.get(i + 3),
                    (String) flat.get(i + 4), (String) flat.get(i + 5)));
        }
        tenants.sort(Comparator.comparing(t -> t.id().value()));
        return tenants;
    }

    @Override
    public boolean delete(TenantId id) {
        Objects.requireNonNull(id, "id");
        try {
            Long removed = redis.eval("delete tenant", DELETE, ScriptOutputType.INTEGER,
                    List.of(redis.key("tenant", id.value()), redis.key("tenants")), redis.base(), id.value());
            return removed == 1;
        } finally {
            cache.invalidate(id);
        }
    }
}
