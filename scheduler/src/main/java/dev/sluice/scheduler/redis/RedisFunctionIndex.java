package dev.sluice.scheduler.redis;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.shared.FunctionIndex;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@link FunctionIndex} in Redis, beside the tenants (same key prefix). Keys, all under the hash tag
 * {@code {functions}} so that every script's keys share one Redis Cluster slot:
 * <ul>
 *   <li>{@code <prefix>{functions}:fn:<tenant>}: hash of function name to the spec as JSON;</li>
 *   <li>{@code <prefix>{functions}:refs:<digest>}: sorted set of what references the module: {@code f:<tenant>/<name>}
 *       with score 0 for each function, {@code d:<token>} with its expiry (ms, Redis time) for each deploy
 *       that reserved it;</li>
 *   <li>{@code <prefix>{functions}:deleting:<digest>}: set while the orphaned module's bytes are being deleted,
 *       expiring by itself should the deleting process die.</li>
 * </ul>
 * Every write is one Lua script, so the function count check, the references and the orphan decision are atomic
 * however many gateways deploy at once. Reads are one command each and always go to Redis (no local cache): a
 * deploy through any process is visible to every other as soon as it returns.
 *
 * <p>Thread-safe: stateless apart from the shared connection.
 */
public final class RedisFunctionIndex implements FunctionIndex {
    /** How long an orphaned module stays marked as being deleted should its deleter die before unmarking it. */
    static final Duration DELETING_TTL = Duration.ofSeconds(60);

    // Shared Lua: drops expired reservations of a digest; when nothing references it any more, deletes its set,
    // marks it as being deleted and returns true.
    private static final String ORPHAN = """
            local function orphan(base, digest, now, ttl)
              local refs = base .. 'refs:' .. digest
              redis.call('ZREMRANGEBYSCORE', refs, 1, now)
              if redis.call('ZCARD', refs) == 0 then
                redis.call('DEL', refs)
                redis.call('SET', base .. 'deleting:' .. digest, '1', 'PX', ttl)
                return true
              end
              return false
            end
            local function now()
              local t = redis.call('TIME')
              return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            end
            """;

    // KEYS: refs, deleting. ARGV: token, ttl ms.
    private static final SchedulerRedis.Script RESERVE = SchedulerRedis.Script.integer(ORPHAN + """
            if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
            redis.call('ZADD', KEYS[1], now() + tonumber(ARGV[2]), 'd:' .. ARGV[1])
            return 1
            """);

    // KEYS: fn hash, refs of the new digest. ARGV: base, tenant, name, json, digest, token, max, deleting ttl.
    // Returns {stored 1/0, created 1/0, count, orphaned digests...}.
    private static final SchedulerRedis.Script COMMIT = SchedulerRedis.Script.multi(ORPHAN + """
            local base, tenant, name, json, digest, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
            local max, ttl = tonumber(ARGV[7]), tonumber(ARGV[8])
            local t = now()
            local member = 'f:' .. tenant .. '/' .. name
            redis.call('ZREM', KEYS[2], 'd:' .. token)
            local previous = redis.call('HGET', KEYS[1], name)
            if not previous and max > 0 then
              local count = redis.call('HLEN', KEYS[1])
              if count >= max then
                if orphan(base, digest, t, ttl) then return {0, 0, count, digest} end
                return {0, 0, count}
              end
            end
            redis.call('HSET', KEYS[1], name, json)
            redis.call('ZADD', KEYS[2], 0, member)
            if previous then
              local old = cjson.decode(previous).digest
              if old ~= digest then
                redis.call('ZREM', base .. 'refs:' .. old, member)
                if orphan(base, old, t, ttl) then return {1, 0, 0, old} end
              end
              return {1, 0, 0}
            end
            return {1, 1, 0}
            """);

    // KEYS: refs. ARGV: base, digest, token, deleting ttl. Returns 1 when the digest is now orphaned.
    private static final SchedulerRedis.Script RELEASE = SchedulerRedis.Script.integer(ORPHAN + """
            redis.call('ZREM', KEYS[1], 'd:' .. ARGV[3])
            if orphan(ARGV[1], ARGV[2], now(), tonumber(ARGV[4])) then return 1 end
            return 0
            """);

    // KEYS: fn hash. ARGV: base, tenant, deleting ttl, names... (none: all of the tenant's functions).
    // Returns {n, json of each removed function..., orphaned digests...}.
    private static final SchedulerRedis.Script DELETE = SchedulerRedis.Script.multi(ORPHAN + """
            local base, tenant, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
            local names = {}
            if #ARGV > 3 then
              for i = 4, #ARGV do names[#names + 1] = ARGV[i] end
            else
              names = redis.call('HKEYS', KEYS[1])
            end
            local removed, digests, seen = {}, {}, {}
            for _, name in ipairs(names) do
              local json = redis.call('HGET', KEYS[1], name)
              if json then
                redis.call('HDEL', KEYS[1], name)
                removed[#removed + 1] = json
                local digest = cjson.decode(json).digest
                redis.call('ZREM', base .. 'refs:' .. digest, 'f:' .. tenant .. '/' .. name)
                if not seen[digest] then
                  seen[digest] = true
                  digests[#digests + 1] = digest
                end
              end
            end
            local t = now()
            local reply = {#removed}
            for _, json in ipairs(removed) do reply[#reply + 1] = json end
            for _, digest in ipairs(digests) do
              if orphan(base, digest, t, ttl) then reply[#reply + 1] = digest end
            end
            return reply
            """);

    private final SchedulerRedis redis;
    private final String base;
    private final ObjectMapper json = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private RedisFunctionIndex(SchedulerRedis redis) {
        this.redis = redis;
        this.base = redis.key("{functions}:");
    }

    public static RedisFunctionIndex create(SchedulerRedis redis) {
        return new RedisFunctionIndex(Objects.requireNonNull(redis, "redis"));
    }

    /** Stored form: plain strings and numbers, independent of the value types. */
    record Stored(String tenant, String name, String digest, long size, int memoryPages, long timeoutMs,
                  String deployedAt, long fuel) {}

    @Override
    public Optional<FunctionSpec> find(String tenant, FunctionName name) {
        byte[] stored = redis.call("find function", r -> r.hget(fnKey(tenant), name.value()));
        return Optional.ofNullable(stored).map(this::spec);
    }

    @Override
    public List<FunctionSpec> list(String tenant) {
        Map<String, byte[]> all = redis.call("list functions", r -> r.hgetall(fnKey(tenant)));
        return all.values().stream().map(this::spec).sorted(Comparator.comparing(f -> f.name().value())).toList();
    }

    @Override
    public boolean reserve(String digest, String token, Duration ttl) {
        Long reserved = redis.await(redis.eval(RESERVE, new String[] {base + "refs:" + digest,
                base + "deleting:" + digest}, arg(token), SchedulerRedis.arg(ttl.toMillis())), "reserve module");
        return reserved == 1L;
    }

    @Override
    public Commit commit(FunctionSpec spec, String token, long maxFunctions) {
        List<Object> reply = redis.await(redis.eval(COMMIT, new String[] {fnKey(spec.tenant()),
                base + "refs:" + spec.digest()}, arg(base), arg(spec.tenant()), arg(spec.name().value()),
                json(spec), arg(spec.digest()), arg(token), SchedulerRedis.arg(maxFunctions),
                SchedulerRedis.arg(DELETING_TTL.toMillis())), "store function");
        return new Commit(number(reply.get(0)) == 1, number(reply.get(1)) == 1, number(reply.get(2)),
                strings(reply.subList(3, reply.size())));
    }

    @Override
    public Optional<String> release(String digest, String token) {
        Long orphaned = redis.await(redis.eval(RELEASE, new String[] {base + "refs:" + digest}, arg(base),
                arg(digest), arg(token), SchedulerRedis.arg(DELETING_TTL.toMillis())), "release module");
        return orphaned == 1L ? Optional.of(digest) : Optional.empty();
    }

    @Override
    public Removal delete(String tenant, FunctionName name) {
        return remove(tenant, arg(name.value()));
    }

    @Override
    public Removal deleteAll(String tenant) {
        return remove(tenant);
    }

    private Removal remove(String tenant, byte[]... names) {
        byte[][] args = new byte[3 + names.length][];
        args[0] = arg(base);
        args[1] = arg(tenant);
        args[2] = SchedulerRedis.arg(DELETING_TTL.toMillis());
        System.arraycopy(names, 0, args, 3, names.length);
        List<Object> reply = redis.await(redis.eval(DELETE, new String[] {fnKey(tenant)}, args), "delete functions");
        int removed = (int) number(reply.get(0));
        List<FunctionSpec> specs = new ArrayList<>();
        for (int i = 1; i <= removed; i++) {
            specs.add(spec((byte[]) reply.get(i)));
        }
        return new Removal(specs, strings(reply.subList(removed + 1, reply.size())));
    }

    @Override
    public void deleted(String digest) {
        redis.call("unmark module", r -> r.del(base + "deleting:" + digest));
    }

    private String fnKey(String tenant) {
        return base + "fn:" + tenant;
    }

    private byte[] json(FunctionSpec f) {
        try {
            return json.writeValueAsBytes(new Stored(f.tenant(), f.name().value(), f.digest(), f.size(),
                    f.memoryPages(), f.timeoutMs(), f.deployedAt().toString(), f.fuel()));
        } catch (IOException e) {
            throw new IllegalStateException("a function spec is always serializable", e);
        }
    }

    private FunctionSpec spec(byte[] bytes) {
        try {
            Stored s = json.readValue(bytes, Stored.class);
            return new FunctionSpec(s.tenant(), FunctionName.of(s.name()), s.digest(), s.size(), s.memoryPages(),
                    s.timeoutMs(), Instant.parse(s.deployedAt()), s.fuel());
        } catch (IOException | RuntimeException e) {
            throw new StorageFailure("shared store: corrupt function entry in Redis: " + e.getMessage(), e);
        }
    }

    private static byte[] arg(String value) {
        return SchedulerRedis.arg(value);
    }

    private static long number(Object reply) {
        return ((Number) reply).longValue();
    }

    private static List<String> strings(List<Object> replies) {
        return replies.stream().map(r -> new String((byte[]) r, StandardCharsets.UTF_8)).toList();
    }
}
