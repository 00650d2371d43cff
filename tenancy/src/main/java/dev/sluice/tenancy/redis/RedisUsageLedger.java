package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.usage.DailyUsage;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.internal.RateLimitedLog;
import dev.sluice.tenancy.usage.UsageLedger;
import dev.sluice.tenancy.usage.UsageSummary;
import java.util.Collection;
import java.util.HashMap;

import io.lettuce.core.ScriptOutputType;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

/**
 * Usage per tenant and UTC day shared by every gateway: a hash {@code <prefix>usage:<tenant>:<yyyy-mm-dd>} with fields
 * {@code invocations}, {@code errors}, {@code throttles} and {@code fuel}, kept {@value #RETENTION_DAYS} days, plus one
 * field {@code w:<writer>} per gateway process that wrote to it (see below).
 *
 * <p><b>Recording never blocks and is not lost while Redis is away.</b> An event adds to this gateway's pending counts
 * for its tenant and day (in memory, a map update); a writer sends what is pending as one batch, one script call per
 * tenant-day, and at most one batch is on its way at a time, so under load events coalesce instead of costing a
 * round trip each. When a batch fails (Redis away, slow, or restarting) it is kept and sent again: at once by
 * {@link #drain} (the gateway's flush, every few seconds), or by the first event after {@code retryInterval}. Meanwhile
 * new events keep adding to the pending counts, bounded to {@code maxPending} tenant-days (about 150 bytes each); an
 * event for a tenant-day beyond the bound is dropped and counted ({@link #dropped()}). Events of a day are written to
 * that day's hash, however late.
 *
 * <p><b>Exactly once.</b> A command that timed out may still have been applied. Each gateway process has a random
 * writer id and numbers its batches; the script adds a batch's counts to a hash only if the hash's {@code w:<writer>}
 * field is below the batch number, and sets it to the batch number in the same atomic step. A batch is sent again
 * unchanged until every one of its hashes answered, and the next batch is numbered only then; so a hash that already
 * has a batch (answered, timed out but applied, or sent twice by a reconnecting client) skips it, and every event is
 * counted once. Each hash is its own key, so this holds on Redis Cluster too.
 *
 * <p><b>What can be lost</b>: events past the bound while Redis is away (counted), and what is still unsent when the
 * process stops ({@link #abandon}, counted and logged) or crashes.
 *
 * <p>Threading: thread-safe. Pending counts are updated inside {@code ConcurrentHashMap.compute}; the send state (the
 * batch in doubt, its number) is owned by whoever holds {@code sending}. Reads ({@link #daily}) wait for Redis,
 * bounded by the command timeout.
 */
public final class RedisUsageLedger implements UsageLedger {
    /**
     * Tenant-days read per round trip by {@link #summary}: bounds the replies held, and the work Redis does for one
     * window, so that the window's last reply comes well within the command timeout (a window's commands are all
     * waiting behind each other).
     */
    static final int SUMMARY_WINDOW = 4_096;
    /** Tenant-days per batch: bounds the commands one batch puts on the connection. */
    static final int BATCH_KEYS = 1_000;
    private static final System.Logger LOG = System.getLogger(RedisUsageLedger.class.getName());

    /** KEYS[1] the tenant's day; ARGV: invocations, errors, throttles, fuel, ttl (s), writer field, batch number. */
    static final RedisScript RECORD = new RedisScript("""
            local last = tonumber(redis.call('HGET', KEYS[1], ARGV[6]) or '0')
            if tonumber(ARGV[7]) <= last then
              return 0
            end
            local fields = {'invocations', 'errors', 'throttles', 'fuel'}
            for i = 1, 4 do
              if ARGV[i] ~= '0' then
                redis.call('HINCRBY', KEYS[1], fields[i], ARGV[i])
              end
            end
            redis.call('HSET', KEYS[1], ARGV[6], ARGV[7])
            redis.call('EXPIRE', KEYS[1], ARGV[5])
            return 1
            """, ScriptOutputType.INTEGER);
    /**
     * The counters of every day in KEYS that has usage, four values a day (the sums are made in Java: exact beyond
     * Lua's 2^53); days without usage add nothing to the reply.
     */
    static final RedisScript SUM_DAYS = new RedisScript("""
            local out = {}
            for _, key in ipairs(KEYS) do
              local v = redis.call('HMGET', key, 'invocations', 'errors', 'throttles', 'fuel')
              if v[1] or v[2] or v[3] or v[4] then
                for j = 1, 4 do
                  out[#out + 1] = v[j] or '0'
                end
              end
            end
            return out
            """, ScriptOutputType.MULTI);
    private static final byte[] TTL = RedisScript.arg(Duration.ofDays(UsageLedger.RETENTION_DAYS).toSeconds());

    private final RedisConnection redis;
    private final InstantSource clock;
    private final LongSupplier nanoTime;
    private final long retryIntervalNanos;
    private final String prefix;
    private final int maxPending;
    private final byte[] writer;
    private final RateLimitedLog log;
    private final ConcurrentHashMap<DayKey, Counts> pending = new ConcurrentHashMap<>();
    /** Held by the one thread that forms, sends or settles a batch. */
    private final AtomicBoolean sending = new AtomicBoolean();
    /**
     * The batch on its way, or sent and not answered by all its hashes (then sent again, unchanged, before any other);
     * null when everything sent was written.
     */
    private volatile Batch inDoubt;
    private volatile long retryAt;
    /** Owned by the holder of {@code sending}: the last batch number, whether the last attempt failed. */
    private long batches;
    private boolean failing;
    private final AtomicLong failures = new AtomicLong();
    private final LongAdder dropped = new LongAdder();
    private final Object idle = new Object();
    /** Threads in {@link #drain}: only they need waking when a batch settles. */
    private final AtomicInteger draining = new AtomicInteger();
    /** Times {@code sending} was taken: tells {@link #settled} whether a writer acted while it looked. */
    private final AtomicLong turns = new AtomicLong();

    /**
     * @param maxPending    tenant-days whose counts may wait for Redis; events beyond are dropped and counted
     * @param retryInterval how long after a failed batch an event triggers the next attempt (by {@code nanoTime})
     */
    public RedisUsageLedger(RedisConnection redis, InstantSource clock, LongSupplier nanoTime, int maxPending,
                     Duration retryInterval, RateLimitedLog log) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.log = Objects.requireNonNull(log, "log");
        if (maxPending <= 0) {
            throw new TenancyException.InvalidInput("usage max pending: " + maxPending + " (expected: > 0)");
        }
        this.maxPending = maxPending;
        this.retryIntervalNanos = retryInterval.toNanos();
        this.prefix = redis.keyPrefix() + "usage:";
        byte[] id = new byte[8];
        new SecureRandom().nextBytes(id);
        this.writer = RedisScript.arg("w:" + HexFormat.of().formatHex(id));
    }

    @Override
    public void invocation(TenantUid tenant, boolean failed, long fuelUsed) {
        record(tenant, 1, failed ? 1 : 0, 0, Math.max(0, fuelUsed));
    }

    @Override
    public void throttled(TenantUid tenant) {
        record(tenant, 0, 0, 1, 0);
    }

    private void record(TenantUid tenant, long invocations, long errors, long throttles, long fuel) {
        Objects.requireNonNull(tenant, "tenant");
        DayKey key = new DayKey(tenant, today());
        // The bound is checked before the update, so racing first events of new tenant-days may pass it by a few.
        if (pending.size() >= maxPending && !pending.containsKey(key)) {
            dropped.increment();
            log.warn("usage", () -> "usage events dropped (" + dropped.sum() + " so far): more than " + maxPending
                    + " tenant-days waiting for Redis");
            return;
        }
        pending.compute(key, (k, counts) -> (counts == null ? new Counts() : counts)
                .add(invocations, errors, throttles, fuel));
        send(false);
    }

    /**
     * Sends the batch in doubt (when {@code force}, or when its retry is due) or else a new batch of what is pending,
     * unless a batch is on its way already: its completion sends the next.
     */
    private void send(boolean force) {
        while (!sending.get() && sending.compareAndSet(false, true)) {
            turns.incrementAndGet();
            Batch batch;
            try {
                batch = next(force);
            } catch (RuntimeException e) {
                sending.set(false);
                throw e;
            }
            if (batch != null) {
                inDoubt = batch;
                write(batch);
                return;
            }
            sending.set(false);
            signalIdle();
            if (pending.isEmpty() || inDoubt != null) {
                return;
            }
            // An event arrived after this thread looked: it saw "sending" and left it to us.
        }
    }

    private Batch next(boolean force) {
        Batch doubtful = inDoubt;
        if (doubtful != null) {
            // Not on its way (this thread holds "sending"): its last attempt failed.
            return force || nanoTime.getAsLong() - retryAt >= 0 ? doubtful : null;
        }
        if (pending.isEmpty()) {
            return null;
        }
        ConcurrentHashMap<DayKey, Counts> entries = take(pending, BATCH_KEYS);
        return entries.isEmpty() ? null : new Batch(++batches, entries);
    }

    /**
     * Moves at most {@code limit} entries out of {@code pending}, each under its key's lock, so that an event after
     * the move starts new counts and never adds to counts taken.
     *
     * <p>The iteration may meet a key twice, and the counts met the second time must stay pending: the map's
     * iteration is weakly consistent, and a key moved out and at once re-added by an event lands at the end of its
     * bin, behind keys the iteration has yet to visit. Putting those new counts over the ones taken lost the taken
     * ones (a tenant-day's events since the previous batch: 37 of a tenant's 2,000 in one test run).
     */
    static <K, V> ConcurrentHashMap<K, V> take(ConcurrentHashMap<K, V> pending, int limit) {
        ConcurrentHashMap<K, V> taken = new ConcurrentHashMap<>();
        for (K key : pending.keySet()) {
            if (taken.size() >= limit) {
                break;
            }
            pending.computeIfPresent(key, (k, counts) -> taken.putIfAbsent(k, counts) == null ? null : counts);
        }
        return taken;
    }

    private void write(Batch batch) {
        RedisClusterAsyncCommands<String, byte[]> commands;
        try {
            commands = redis.commands();
        } catch (RuntimeException e) {
            settle(batch, e);
            return;
        }
        List<Map.Entry<DayKey, Counts>> entries = List.copyOf(batch.entries.entrySet());
        if (entries.isEmpty()) {
            settle(batch, null);
            return;
        }
        AtomicInteger left = new AtomicInteger(entries.size());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        byte[] number = RedisScript.arg(batch.number);
        for (Map.Entry<DayKey, Counts> entry : entries) {
            Counts c = entry.getValue();
            CompletableFuture<Long> reply;
            try {
                reply = RECORD.run(commands, key(entry.getKey().tenant(), entry.getKey().day()),
                        RedisScript.arg(c.invocations), RedisScript.arg(c.errors), RedisScript.arg(c.throttles),
                        RedisScript.arg(c.fuel), TTL, writer, number);
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
            reply.whenComplete((applied, error) -> {
                if (error == null) {
                    // Written (or found written before): never again.
                    batch.entries.remove(entry.getKey(), c);
                } else {
                    failure.compareAndSet(null, error);
                }
                if (left.decrementAndGet() == 0) {
                    settle(batch, failure.get());
                }
            });
        }
    }

    /** Runs once per attempt, by the thread that completed it; releases {@code sending}. */
    private void settle(Batch batch, Throwable failure) {
        boolean written = batch.entries.isEmpty();
        if (written) {
            inDoubt = null;
            if (failing) {
                failing = false;
                log.info("usage written to Redis again; " + pending.size() + " tenant-days pending");
            }
        } else {
            failing = true;
            retryAt = nanoTime.getAsLong() + retryIntervalNanos;
            failures.incrementAndGet();
            String why = failure == null ? "not connected" : String.valueOf(failure.getMessage());
            log.warn("usage", () -> "usage not written to Redis, kept to send again (" + events() + " events"
                    + " waiting, " + dropped.sum() + " dropped so far): " + why);
        }
        sending.set(false);
        signalIdle();
        if (written) {
            send(false);
        }
    }

    private void signalIdle() {
        if (draining.get() > 0) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    /**
     * Sends what is pending, retrying a batch in doubt at once, and waits, at most {@code timeout} (real time: it waits
     * for Redis), until nothing is pending. Returns false when an attempt failed (Redis away) or time ran out; what
     * was not written stays pending.
     */
    public boolean drain(Duration timeout) {
        draining.incrementAndGet();
        try {
            return drainUntil(System.nanoTime() + timeout.toNanos());
        } finally {
            draining.decrementAndGet();
        }
    }

    private boolean drainUntil(long deadline) {
        long failuresBefore = failures.get();
        send(true);
        synchronized (idle) {
            while (!settled()) {
                if (!sending.get()) {
                    if (failures.get() != failuresBefore) {
                        return false;
                    }
                    send(true);
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    idle.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Whether everything recorded before the call was written. The three reads are not one atomic step: read one by
     * one, "no batch in doubt" could be seen before a writer formed a batch and "not sending" after that batch failed,
     * and a batch in doubt taken for written. Nothing moves between them unless a writer takes {@code sending}, which
     * {@code turns} shows.
     */
    private boolean settled() {
        long turn = turns.get();
        return !sending.get() && inDoubt == null && pending.isEmpty() && turns.get() == turn;
    }

    /**
     * Gives up what could not be written (the process is stopping): counted in {@link #dropped()} and logged.
     *
     * @return the events given up
     */
    public long abandon() {
        long lost = events();
        if (lost > 0) {
            dropped.add(lost);
            LOG.log(Level.WARNING, lost + " usage events not written to Redis at shutdown (Redis unavailable); "
                    + "they are missing from the usage totals");
        }
        pending.clear();
        inDoubt = null;
        return lost;
    }

    /** Usage events recorded and not yet written to Redis (pending, or in a batch waiting to be sent again). */
    public long events() {
        long events = 0;
        Batch doubtful = inDoubt;
        if (doubtful != null) {
            for (Counts c : doubtful.entries.values()) {
                events += c.invocations + c.throttles;
            }
        }
        for (DayKey key : pending.keySet()) {
            Counts c = pending.computeIfPresent(key, (k, counts) -> counts);
            if (c != null) {
                events += c.invocations + c.throttles;
            }
        }
        return events;
    }

    @Override
    public List<DailyUsage> daily(TenantUid tenant, int days) {
        Objects.requireNonNull(tenant, "tenant");
        if (days <= 0) {
            throw new TenancyException.InvalidInput("days: " + days + " (expected: > 0)");
        }
        LocalDate today = today();
        int span = Math.min(days, UsageLedger.RETENTION_DAYS);
        List<CompletableFuture<Map<String, byte[]>>> replies = new ArrayList<>(span);
        for (int i = 0; i < span; i++) {
            replies.add(redis.commands().hgetall(key(tenant, today.minusDays(i))).toCompletableFuture());
        }
        List<DailyUsage> usage = new ArrayList<>();
        for (int i = 0; i < span; i++) {
            Map<String, byte[]> fields = redis.await(replies.get(i), "usage " + tenant);
            if (!fields.isEmpty()) {
                usage.add(new DailyUsage(today.minusDays(i), field(fields, "invocations"), field(fields, "errors"),
                        field(fields, "throttles"), field(fields, "fuel")));
            }
        }
        return usage;
    }

    /**
     * One {@link #SUM_DAYS} per tenant on a single Redis (its days' counters in one script), one per tenant and day on
     * Redis Cluster (a tenant's days are keys in different slots, which no script may touch together); pipelined,
     * {@value #SUMMARY_WINDOW} tenant-days a window, a window's replies awaited (each bounded by the command timeout)
     * before the next is sent. What this gateway has recorded and not yet written is not included, as in {@link #daily}.
     */
    @Override
    public UsageSummary summary(Collection<TenantUid> tenants, int days) {
        LocalDate today = today();
        LocalDate from = UsageSummary.firstDay(today, days);
        List<TenantUid> asked = List.copyOf(tenants);
        Map<TenantUid, UsageSummary.Totals> totals = new HashMap<>();
        asked.forEach(t -> totals.put(t, UsageSummary.Totals.ZERO));
        boolean cluster = redis.cluster();
        int perTenant = cluster ? days : 1;
        long reads = (long) asked.size() * perTenant;
        // Commands per window: each reads one tenant-day on a cluster, all of a tenant's days otherwise.
        int commands = cluster ? SUMMARY_WINDOW : Math.max(1, SUMMARY_WINDOW / days);
        List<CompletableFuture<List<Object>>> window = new ArrayList<>(commands);
        List<TenantUid> owners = new ArrayList<>(commands);
        for (long read = 0; read < reads; read++) {
            TenantUid tenant = asked.get((int) (read / perTenant));
            window.add(SUM_DAYS.run(redis.commands(), cluster
                    ? new String[] {key(tenant, today.minusDays(read % perTenant))}
                    : keys(tenant, today, days)));
            owners.add(tenant);
            if (window.size() == commands || read == reads - 1) {
                for (int i = 0; i < window.size(); i++) {
                    List<Object> values = redis.await(window.get(i), "usage summary");
                    UsageSummary.Totals sum = totals.get(owners.get(i));
                    for (int v = 0; v + 3 < values.size(); v += 4) {
                        sum = sum.plus(number(values.get(v)), number(values.get(v + 1)), number(values.get(v + 2)),
                                number(values.get(v + 3)));
                    }
                    totals.put(owners.get(i), sum);
                }
                window.clear();
                owners.clear();
            }
        }
        return new UsageSummary(from, today, totals);
    }

    private String[] keys(TenantUid tenant, LocalDate today, int days) {
        String[] keys = new String[days];
        for (int i = 0; i < days; i++) {
            keys[i] = key(tenant, today.minusDays(i));
        }
        return keys;
    }

    /** A counter as Redis answers it: ASCII digits, or nothing for a counter never written. */
    private static long number(Object value) {
        return value instanceof byte[] bytes ? Long.parseLong(new String(bytes, StandardCharsets.US_ASCII)) : 0;
    }

    @Override
    public void forget(TenantUid tenant) {
        pending.keySet().removeIf(key -> key.tenant().equals(tenant));
        Batch doubtful = inDoubt;
        if (doubtful != null) {
            doubtful.entries.keySet().removeIf(key -> key.tenant().equals(tenant));
        }
        // One DEL per key: in a cluster the days hash to different slots.
        List<CompletableFuture<Long>> deletes = new ArrayList<>();
        for (String key : keys(tenant, today(), UsageLedger.RETENTION_DAYS)) {
            deletes.add(redis.commands().del(key).toCompletableFuture());
        }
        redis.await(CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)), "forget usage " + tenant);
    }

    /** Usage events lost: beyond the pending bound while Redis was away, or unsent at shutdown. */
    public long dropped() {
        return dropped.sum();
    }

    String key(TenantUid tenant, LocalDate day) {
        return prefix + tenant.value() + ":" + day;
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    private record DayKey(TenantUid tenant, LocalDate day) {}

    /** One tenant-day's counts not yet written; mutated only inside the pending map's {@code compute}. */
    private static final class Counts {
        long invocations;
        long errors;
        long throttles;
        long fuel;

        Counts add(long invocations, long errors, long throttles, long fuel) {
            this.invocations += invocations;
            this.errors += errors;
            this.throttles += throttles;
            this.fuel += fuel;
            return this;
        }
    }

    /** Counts sent under one number; entries leave as their hash answers. */
    private record Batch(long number, ConcurrentHashMap<DayKey, Counts> entries) {}

    private static long field(Map<String, byte[]> fields, String name) {
        return number(fields.get(name));
    }
}
