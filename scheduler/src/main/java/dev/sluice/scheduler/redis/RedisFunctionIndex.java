package dev.sluice.scheduler.redis;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry.AssetsChange;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.assets.AttachedAssets;
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
 *   <li>{@code <prefix>{functions}:refs:<digest>}: sorted set of what references the blob (a module, or a function
 *       asset tree's canonical archive; both live in the {@link RedisModuleStore} by digest): {@code f:<tenant>/<name>}
 *       with score 0 for each function whose module it is, {@code a:<tenant>/<name>} with score 0 for each function
 *       whose assets it is, {@code d:<token>} with its expiry (ms, Redis time) for each deploy or asset upload that
 *       reserved it;</li>
 *   <li>{@code <prefix>{functions}:deleting:<digest>}: set while the orphaned blob's bytes are being deleted,
 *       expiring by itself should the deleting process die;</li>
 *   <li>{@code <prefix>{functions}:gone:<tenant>}: the tombstone {@link #deleteAll} leaves for a deleted owner, so
 *       that a deploy validated before the deletion cannot commit after it (expires after {@link #OWNER_TOMBSTONE}).
 *   </li>
 * </ul>
 * Every write is one Lua script, so the function count check, the references and the orphan decision are atomic
 * however many gateways deploy at once. Reads are one command each and always go to Redis (no local cache): a
 * deploy through any process is visible to every other as soon as it returns.
 *
 * <p>One slot by design: the scripts touch keys they compute from their arguments (the {@code refs} and
 * {@code deleting} keys of a replaced or removed function's digest) rather than declare them in {@code KEYS}, which
 * Redis Cluster accepts only because the hash tag puts every key of this index in the same slot. All function
 * metadata therefore lives on one Redis node. That is ample for the metadata (an entry is a few hundred bytes of
 * JSON plus its reference, so one node holds millions of functions, and every operation is O(functions of one
 * tenant)); the module
 * bytes, the large part, are spread over the cluster by {@link RedisModuleStore}. Splitting the index across slots
 * would need a different design (per-tenant tags and cross-slot reference counting), not more keys in {@code KEYS}.
 *
 * <p>Assets: an entry's {@code assets} object, when it has one, is its last field, written by this class as compact
 * JSON ({@code ...,"assets":{...}}} with nothing after it). The scripts rely on that to change the assets without
 * parsing numbers (cjson would round a large fuel budget): {@code ATTACH} cuts that tail off and appends the new one,
 * {@code COMMIT} appends the replaced entry's tail to the new module's entry, so a deploy and an asset upload racing
 * through different gateways never lose each other's write. The sequence {@code ,"assets":} cannot occur earlier in
 * an entry: inside a JSON string every quote is escaped.
 *
 * <p>Corrupt entries (not JSON, or without a digest) never block a write: a delete removes them, a deploy of the same
 * name replaces them (the old module's reference, unreadable, is left). Reads report them as storage failures.
 *
 * <p>Thread-safe: stateless apart from the shared connection.
 */
public final class RedisFunctionIndex implements FunctionIndex {
    /** How long an orphaned module stays marked as being deleted should its deleter die before unmarking it. */
    static final Duration DELETING_TTL = Duration.ofSeconds(60);
    /**
     * How long a deleted owner's tombstone refuses deploys. Owners are tenant uids, never reused, so this only has
     * to outlast any deploy validated before the deletion: far longer than a {@code reserve}d deploy can live.
     */
    static final Duration OWNER_TOMBSTONE = Duration.ofDays(30);

    // Shared Lua. orphan: drops expired reservations of a digest; when nothing references it any more and no other
    // process is already deleting it, deletes its set, marks it as being deleted and returns true (so exactly one
    // caller deletes the bytes, and no deploy reserves the digest until it has). decode: the digest of a stored
    // function, or nil when the entry is corrupt (one bad entry must not make the tenant undeletable).
    private static final String ORPHAN = """
            local function orphan(base, digest, now, ttl)
              local refs = base .. 'refs:' .. digest
              redis.call('ZREMRANGEBYSCORE', refs, 1, now)
              if redis.call('ZCARD', refs) == 0 then
                redis.call('DEL', refs)
                if redis.call('EXISTS', base .. 'deleting:' .. digest) == 1 then return false end
                redis.call('SET', base .. 'deleting:' .. digest, '1', 'PX', ttl)
                return true
              end
              return false
            end
            local function now()
              local t = redis.call('TIME')
              return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            end
            -- json: a deploy's new entry, which commit() always writes without assets.
            local function keepAssets(json, previous)
              local at = string.find(previous, ',"assets":', 1, true)
              if not at then return json end
              return string.sub(json, 1, -2) .. string.sub(previous, at)
            end
            -- Drops the reservation; true when it was still alive and the digest is not being deleted (once it has
            -- expired, the bytes stored under it may have been deleted by another process).
            local function claim(refs, deleting, token, t)
              local reserved = redis.call('ZSCORE', refs, 'd:' .. token)
              redis.call('ZREM', refs, 'd:' .. token)
              return reserved and tonumber(reserved) > t and redis.call('EXISTS', deleting) == 0
            end
            local function decode(json)
              local ok, value = pcall(cjson.decode, json)
              if ok and type(value) == 'table' and type(value.digest) == 'string' then return value.digest end
              return nil
            end
            local function treeOf(json)
              local at = string.find(json, ',"assets":', 1, true)
              if not at then return nil end
              local ok, value = pcall(cjson.decode, string.sub(json, at + 10, -2))
              if ok and type(value) == 'table' and type(value.digest) == 'string' then return value.digest end
              return nil
            end
            """;

    // KEYS: refs, deleting. ARGV: token, ttl ms.
    private static final SchedulerRedis.Script RESERVE = SchedulerRedis.Script.integer(ORPHAN + """
            if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
            redis.call('ZADD', KEYS[1], now() + tonumber(ARGV[2]), 'd:' .. ARGV[1])
            return 1
            """);

    // KEYS: fn hash, refs of the new digest, deleting mark of the new digest, the owner's tombstone.
    // ARGV: base, tenant, name, json, digest, token, max, deleting ttl.
    // Returns {outcome (see OUTCOMES), created 1/0, count, orphaned digests...}. The reservation must still be
    // alive: once it has expired, the bytes this deploy stored may have been deleted under it by another process.
    private static final SchedulerRedis.Script COMMIT = SchedulerRedis.Script.multi(ORPHAN + """
            local base, tenant, name, json, digest, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
            local max, ttl = tonumber(ARGV[7]), tonumber(ARGV[8])
            local t = now()
            local member = 'f:' .. tenant .. '/' .. name
            if not claim(KEYS[2], KEYS[3], token, t) then
              if orphan(base, digest, t, ttl) then return {3, 0, 0, digest} end
              return {3, 0, 0}
            end
            if redis.call('EXISTS', KEYS[4]) == 1 then
              if orphan(base, digest, t, ttl) then return {2, 0, 0, digest} end
              return {2, 0, 0}
            end
            local previous = redis.call('HGET', KEYS[1], name)
            if not previous and max > 0 then
              local count = redis.call('HLEN', KEYS[1])
              if count >= max then
                if orphan(base, digest, t, ttl) then return {1, 0, count, digest} end
                return {1, 0, count}
              end
            end
            if previous then json = keepAssets(json, previous) end
            redis.call('HSET', KEYS[1], name, json)
            redis.call('ZADD', KEYS[2], 0, member)
            if previous then
              local old = decode(previous)
              if old and old ~= digest then
                redis.call('ZREM', base .. 'refs:' .. old, member)
                if orphan(base, old, t, ttl) then return {0, 0, 0, old} end
              end
              return {0, 0, 0}
            end
            return {0, 1, 0}
            """);
    /** COMMIT's first reply element, by index. */
    private static final Commit.Outcome[] OUTCOMES = {Commit.Outcome.STORED, Commit.Outcome.LIMIT_REACHED,
            Commit.Outcome.OWNER_DELETED, Commit.Outcome.RESERVATION_LOST};

    // KEYS: fn hash. ARGV: base, tenant, name, the assets object as JSON ('' removes them), its tree's digest ('' when
    // removing), the reservation token of that digest ('' none), '1' to leave a record that has assets as it is,
    // deleting ttl. Returns {outcome (see ATTACH_OUTCOMES), entry before, entry after, orphaned digests...}, the
    // entries '' unless attached (a corrupt entry is returned as before). Only the entry's tail changes (see the class
    // comment). The function's reference to its tree, 'a:<tenant>/<name>' in the tree's refs, moves with the tail;
    // the reservation is checked and dropped first, as COMMIT does, and when the new tree ends up unattached its
    // digest may be orphaned like a refused deploy's module.
    private static final SchedulerRedis.Script ATTACH = SchedulerRedis.Script.multi(ORPHAN + """
            local base, tenant, name, tail, digest, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
            local onlyWhenNone, ttl = ARGV[7] == '1', tonumber(ARGV[8])
            local t = now()
            local member = 'a:' .. tenant .. '/' .. name
            local function refused(outcome, entry)
              if token ~= '' and orphan(base, digest, t, ttl) then return {outcome, entry, '', digest} end
              return {outcome, entry, ''}
            end
            if token ~= '' and not claim(base .. 'refs:' .. digest, base .. 'deleting:' .. digest, token, t) then
              return refused(2, '')
            end
            local previous = redis.call('HGET', KEYS[1], name)
            if not previous then return refused(1, '') end
            if not decode(previous) then return refused(3, previous) end
            local at = string.find(previous, ',"assets":', 1, true)
            local old = treeOf(previous)
            if at and onlyWhenNone then
              -- The tree the record names is referenced by it (again: a no-op unless the record predates references).
              if old then redis.call('ZADD', base .. 'refs:' .. old, 0, member) end
              local reply = refused(0, previous)
              reply[3] = previous
              return reply
            end
            local stripped = previous
            if at then stripped = string.sub(previous, 1, at - 1) .. '}' end
            local updated = stripped
            if tail ~= '' then updated = string.sub(stripped, 1, -2) .. ',"assets":' .. tail .. '}' end
            redis.call('HSET', KEYS[1], name, updated)
            if digest ~= '' then redis.call('ZADD', base .. 'refs:' .. digest, 0, member) end
            local reply = {0, previous, updated}
            if old and old ~= digest then
              redis.call('ZREM', base .. 'refs:' .. old, member)
              if orphan(base, old, t, ttl) then reply[#reply + 1] = old end
            end
            return reply
            """);
    /** ATTACH's first reply element, by index. */
    private static final Attach.Outcome[] ATTACH_OUTCOMES = {Attach.Outcome.ATTACHED, Attach.Outcome.NOT_FOUND,
            Attach.Outcome.RESERVATION_LOST, Attach.Outcome.CORRUPT};

    // KEYS: refs. ARGV: base, digest, token, deleting ttl. Returns 1 when the digest is now orphaned.
    private static final SchedulerRedis.Script RELEASE = SchedulerRedis.Script.integer(ORPHAN + """
            redis.call('ZREM', KEYS[1], 'd:' .. ARGV[3])
            if orphan(ARGV[1], ARGV[2], now(), tonumber(ARGV[4])) then return 1 end
            return 0
            """);

    // KEYS: fn hash, the owner's tombstone. ARGV: base, tenant, deleting ttl, tombstone ttl (0: none, the tenant
    // stays), names... (none: all of the tenant's functions). Corrupt entries are removed and not returned.
    // Returns {n, json of each removed function..., orphaned digests...}.
    private static final SchedulerRedis.Script DELETE = SchedulerRedis.Script.multi(ORPHAN + """
            local base, tenant, ttl, gone = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
            if gone > 0 then redis.call('SET', KEYS[2], '1', 'PX', gone) end
            local names = {}
            if #ARGV > 4 then
              for i = 5, #ARGV do names[#names + 1] = ARGV[i] end
            else
              names = redis.call('HKEYS', KEYS[1])
            end
            local removed, digests, seen = {}, {}, {}
            for _, name in ipairs(names) do
              local json = redis.call('HGET', KEYS[1], name)
              if json then
                redis.call('HDEL', KEYS[1], name)
                local digest = decode(json)
                if digest then
                  removed[#removed + 1] = json
                  redis.call('ZREM', base .. 'refs:' .. digest, 'f:' .. tenant .. '/' .. name)
                  if not seen[digest] then
                    seen[digest] = true
                    digests[#digests + 1] = digest
                  end
                end
                local tree = treeOf(json)
                if tree then
                  redis.call('ZREM', base .. 'refs:' .. tree, 'a:' .. tenant .. '/' .. name)
                  if not seen[tree] then
                    seen[tree] = true
                    digests[#digests + 1] = tree
                  end
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

    /**
     * Stored form: plain strings and numbers, independent of the value types; {@code assets} absent when the function
     * has none (and in entries written before assets existed), and always last (see the class comment).
     */
    @JsonPropertyOrder({"tenant", "name", "digest", "size", "memoryPages", "timeoutMs", "deployedAt", "fuel",
            "assets"})
    record Stored(String tenant, String name, String digest, long size, int memoryPages, long timeoutMs,
                  String deployedAt, long fuel,
                  @JsonInclude(JsonInclude.Include.NON_NULL) AttachedAssets.Stored assets) {}

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
                base + "refs:" + spec.digest(), base + "deleting:" + spec.digest(), goneKey(spec.tenant())},
                arg(base), arg(spec.tenant()), arg(spec.name().value()),
                deployEntry(spec), arg(spec.digest()), arg(token), SchedulerRedis.arg(maxFunctions),
                SchedulerRedis.arg(DELETING_TTL.toMillis())), "store function");
        return new Commit(OUTCOMES[(int) number(reply.get(0))], number(reply.get(1)) == 1, number(reply.get(2)),
                strings(reply.subList(3, reply.size())));
    }

    @Override
    public Attach attach(String tenant, FunctionName name, Optional<AttachedAssets> assets, Optional<String> token,
                         boolean onlyWhenNone) {
        byte[] tail;
        try {
            tail = assets.isEmpty() ? new byte[0] : json.writeValueAsBytes(AttachedAssets.Stored.of(assets.get()));
        } catch (IOException e) {
            throw new IllegalStateException("assets are always serializable", e);
        }
        List<Object> reply = redis.await(redis.eval(ATTACH, new String[] {fnKey(tenant)}, arg(base), arg(tenant),
                arg(name.value()), tail, arg(assets.map(AttachedAssets::digest).orElse("")), arg(token.orElse("")),
                arg(onlyWhenNone ? "1" : "0"), SchedulerRedis.arg(DELETING_TTL.toMillis())),
                "store function assets");
        Attach.Outcome outcome = ATTACH_OUTCOMES[(int) number(reply.get(0))];
        List<String> orphaned = strings(reply.subList(3, reply.size()));
        if (outcome == Attach.Outcome.CORRUPT) {
            // Named in the failure the registry throws once the orphans are dealt with.
            return new Attach(outcome, Optional.empty(), orphaned);
        }
        Optional<AssetsChange> change = outcome == Attach.Outcome.ATTACHED
                ? Optional.of(new AssetsChange(spec((byte[]) reply.get(1)), spec((byte[]) reply.get(2))))
                : Optional.empty();
        return new Attach(outcome, change, orphaned);
    }

    @Override
    public Optional<String> release(String digest, String token) {
        Long orphaned = redis.await(redis.eval(RELEASE, new String[] {base + "refs:" + digest}, arg(base),
                arg(digest), arg(token), SchedulerRedis.arg(DELETING_TTL.toMillis())), "release module");
        return orphaned == 1L ? Optional.of(digest) : Optional.empty();
    }

    @Override
    public Removal delete(String tenant, FunctionName name) {
        return remove(tenant, 0, arg(name.value()));
    }

    @Override
    public Removal deleteAll(String tenant) {
        return remove(tenant, OWNER_TOMBSTONE.toMillis());
    }

    private Removal remove(String tenant, long tombstoneMillis, byte[]... names) {
        byte[][] args = new byte[4 + names.length][];
        args[0] = arg(base);
        args[1] = arg(tenant);
        args[2] = SchedulerRedis.arg(DELETING_TTL.toMillis());
        args[3] = SchedulerRedis.arg(tombstoneMillis);
        System.arraycopy(names, 0, args, 4, names.length);
        List<Object> reply = redis.await(redis.eval(DELETE, new String[] {fnKey(tenant), goneKey(tenant)}, args),
                "delete functions");
        int removed = (int) number(reply.get(0));
        List<FunctionSpec> specs = new ArrayList<>();
        for (int i = 1; i <= removed; i++) {
            // An entry whose digest could be read but not the rest is gone all the same; it is just not reported.
            parsed((byte[]) reply.get(i)).ifPresent(specs::add);
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

    private String goneKey(String tenant) {
        return base + "gone:" + tenant;
    }

    private Optional<FunctionSpec> parsed(byte[] bytes) {
        try {
            return Optional.of(spec(bytes));
        } catch (StorageFailure corrupt) {
            return Optional.empty();
        }
    }

    /**
     * A deploy's entry: always without assets, whatever {@code f} carries, because COMMIT's {@code keepAssets}
     * appends the previous entry's {@code "assets"} to it (an entry's assets change only through attach).
     */
    private byte[] deployEntry(FunctionSpec f) {
        try {
            return json.writeValueAsBytes(new Stored(f.tenant(), f.name().value(), f.digest(), f.size(),
                    f.memoryPages(), f.timeoutMs(), f.deployedAt().toString(), f.fuel(), null));
        } catch (IOException e) {
            throw new IllegalStateException("a function spec is always serializable", e);
        }
    }

    private FunctionSpec spec(byte[] bytes) {
        try {
            Stored s = json.readValue(bytes, Stored.class);
            return new FunctionSpec(s.tenant(), FunctionName.of(s.name()), s.digest(), s.size(), s.memoryPages(),
                    s.timeoutMs(), Instant.parse(s.deployedAt()), s.fuel(),
                    Optional.ofNullable(s.assets()).map(AttachedAssets.Stored::attached));
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
