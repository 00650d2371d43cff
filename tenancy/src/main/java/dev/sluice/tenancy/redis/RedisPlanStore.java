package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.internal.StoredJson;
import dev.sluice.tenancy.internal.TenancyJson;
import dev.sluice.tenancy.internal.TtlCache;
import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.plan.PlanStore;

import io.lettuce.core.ScriptOutputType;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Plans in Redis: {@code plan:<name>} holds the limits as JSON, {@code plans} is the set of names and
 * {@code plan-tenants:<name>} the set of tenants on the plan (kept by {@link RedisTenantStore}'s scripts), which
 * makes the in-use check on delete atomic. Reads go through a short cache, see {@link RedisTenancy}.
 */
final class RedisPlanStore implements PlanStore {
    private static final String PUT = """
            local created = redis.call('EXISTS', KEYS[1]) == 0 and 1 or 0
            redis.call('SET', KEYS[1], ARGV[2])
            redis.call('SADD', KEYS[2], ARGV[1])
            return created
            """;
    private static final String DELETE = """
            if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
            local users = redis.call('SMEMBERS', KEYS[3])
            if #users > 0 then
              table.insert(users, 1, -1)
              return users
            end
            redis.call('DEL', KEYS[1], KEYS[3])
            redis.call('SREM', KEYS[2], ARGV[1])
            return {1}
            """;
    private static final String LIST = """
            local out = {}
            for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              local limits = redis.call('GET', ARGV[1] .. name)
              if limits then
                table.insert(out, name)
                table.insert(out, limits)
              end
            end
            return out
            """;

    private final TenancyRedis redis;
    private final TtlCache<String, Plan> cache;

    RedisPlanStore(TenancyRedis redis, TtlCache<String, Plan> cache) {
        this.redis = redis;
        this.cache = cache;
    }

    @Override
    public PutResult put(Plan plan) {
        Objects.requireNonNull(plan, "plan");
        String json = StoredJson.compact(TenancyJson.writeLimits(StoredJson.value("").newObject(), plan.limits()));
        try {
            Long created = redis.eval("put plan", PUT, ScriptOutputType.INTEGER,
                    List.of(redis.key("plan", plan.name()), redis.key("plans")), plan.name(), json);
            return new PutResult(plan, created == 1);
        } finally {
            cache.invalidate(plan.name());
        }
    }

    @Override
    public Optional<Plan> find(String name) {
        if (name == null) {
            return Optional.empty();
        }
        return cache.get(name, this::load);
    }

    private Optional<Plan> load(String name) {
        String key = redis.key("plan", name);
        String json = redis.call("get plan", r -> r.get(key));
        return json == null ? Optional.empty() : Optional.of(parse(key, name, json));
    }

    private static Plan parse(String key, String name, String json) {
        StoredJson value = StoredJson.value("redis " + key);
        return new Plan(name, TenancyJson.readLimits(value, value.parseObject(json, "limits"), "limits"));
    }

    @Override
    public List<Plan> list() {
        List<Object> flat = redis.eval("list plans", LIST, ScriptOutputType.MULTI, List.of(redis.key("plans")),
                redis.key("plan", ""));
        List<Plan> plans = new ArrayList<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            String name = (String) flat.get(i);
            plans.add(parse(redis.key("plan", name), name, (String) flat.get(i + 1)));
        }
        plans.sort(Comparator.comparing(Plan::name));
        return plans;
    }

    @Override
    public boolean delete(String name) {
        Objects.requireNonNull(name, "name");
        try {
            List<Object> result = redis.eval("delete plan", DELETE, ScriptOutputType.MULTI,
                    List.of(redis.key("plan", name), redis.key("plans"), redis.key("plan-tenants", name)), name);
            long status = (Long) result.get(0);
            if (status < 0) {
                PlanStore.refuseInUse(name, result.subList(1, result.size()));
            }
            return status == 1;
        } finally {
            cache.invalidate(name);
        }
    }
}
