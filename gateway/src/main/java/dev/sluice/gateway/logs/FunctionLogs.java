package dev.sluice.gateway.logs;

import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A gateway's function logs, in memory: per tenant (its uid, {@code Caller.functionOwner}, so a tenant created again
 * under a deleted one's name starts empty) and function, a ring of the newest {@link LogLimits#entriesPerFunction}
 * entries, all of a tenant's entries together within {@link LogLimits#bytesPerTenant} and none older than
 * {@link LogLimits#retention}; past a bound the oldest go first. Memory is bounded whatever a tenant does: its entries
 * cost at least {@link LogEntry#OVERHEAD_BYTES} each, so its byte cap also bounds how many functions it has entries
 * for, and a function without entries holds nothing. Entries are per gateway and lost on restart: a diagnostic aid,
 * not an audit trail.
 *
 * <p>Followers (the SSE form) get each new entry of their function, after the store took it, on the recording
 * thread: a follower must only hand the entry on (a bounded queue), never block.
 *
 * <p>Thread-safe: each tenant's state is guarded by its own lock, so tenants never wait on one another.
 */
public final class FunctionLogs {
    private final LogLimits limits;
    private final InstantSource clock;
    private final Map<String, TenantLogs> tenants = new ConcurrentHashMap<>();
    private final Map<String, Integer> streams = new ConcurrentHashMap<>();

    private FunctionLogs(LogLimits limits, InstantSource clock) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public static FunctionLogs create(LogLimits limits, InstantSource clock) {
        return new FunctionLogs(limits, clock);
    }

    public LogLimits limits() {
        return limits;
    }

    /**
     * Records one invocation, now, with its stderr cut to {@link LogLimits#stderrBytesPerEntry} on a character
     * boundary (bytes that are not UTF-8 become U+FFFD), and hands it to the function's followers.
     */
    public LogEntry record(String owner, String function, String invocationId, int status, String outcome, long fuel,
                           long durationMs, byte[] stderr) {
        int cut = cut(stderr, limits.stderrBytesPerEntry());
        LogEntry entry = new LogEntry(invocationId, clock.instant(), status, outcome, fuel, durationMs,
                text(stderr, cut), cut < stderr.length);
        TenantLogs tenant = tenants.computeIfAbsent(owner, o -> new TenantLogs());
        List<Consumer<LogEntry>> followers;
        synchronized (tenant) {
            ArrayDeque<LogEntry> ring = tenant.rings.computeIfAbsent(function, f -> new ArrayDeque<>());
            ring.addLast(entry);
            if (tenant.oldest == null || entry.time().isBefore(tenant.oldest)) {
                tenant.oldest = entry.time();
            }
            tenant.bytes += entry.cost();
            while (ring.size() > limits.entriesPerFunction()) {
                tenant.bytes -= ring.removeFirst().cost();
            }
            expire(tenant);
            while (tenant.bytes > limits.bytesPerTenant()) {
                evictOldest(tenant);
            }
            followers = tenant.followers.get(function);
        }
        if (followers != null) {
            followers.forEach(f -> f.accept(entry));
        }
        return entry;
    }

    /** The function's entries held now, oldest first. */
    public List<LogEntry> entries(String owner, String function) {
        TenantLogs tenant = tenants.get(owner);
        if (tenant == null) {
            return List.of();
        }
        synchronized (tenant) {
            expire(tenant);
            ArrayDeque<LogEntry> ring = tenant.rings.get(function);
            return ring == null ? List.of() : List.copyOf(ring);
        }
    }

    /** Bytes the tenant's entries are counted at now (for tests and the docs' bound). */
    public long bytes(String owner) {
        TenantLogs tenant = tenants.get(owner);
        if (tenant == null) {
            return 0;
        }
        synchronized (tenant) {
            return tenant.bytes;
        }
    }

    /**
     * The function's entries held now and, atomically with them, {@code follower} registered for every later one:
     * no entry is missed or seen twice between the two. Closing the returned follow unregisters it.
     */
    public Follow follow(String owner, String function, Consumer<LogEntry> follower) {
        TenantLogs tenant = tenants.computeIfAbsent(owner, o -> new TenantLogs());
        synchronized (tenant) {
            expire(tenant);
            ArrayDeque<LogEntry> ring = tenant.rings.get(function);
            List<LogEntry> held = ring == null ? List.of() : List.copyOf(ring);
            tenant.followers.computeIfAbsent(function, f -> new CopyOnWriteArrayList<>()).add(follower);
            return new Follow(held, () -> {
                synchronized (tenant) {
                    List<Consumer<LogEntry>> list = tenant.followers.get(function);
                    if (list != null) {
                        list.remove(follower);
                        if (list.isEmpty()) {
                            tenant.followers.remove(function);
                        }
                    }
                }
            });
        }
    }

    /** A function was deleted (or created anew under its name): its entries go. */
    public void drop(String owner, String function) {
        TenantLogs tenant = tenants.get(owner);
        if (tenant != null) {
            synchronized (tenant) {
                ArrayDeque<LogEntry> ring = tenant.rings.remove(function);
                if (ring != null) {
                    ring.forEach(e -> tenant.bytes -= e.cost());
                }
            }
        }
    }

    /** A tenant was deleted: all its entries go. */
    public void dropTenant(String owner) {
        tenants.remove(owner);
    }

    /**
     * One of the tenant's {@link LogLimits#streamsPerTenant} stream slots, or empty when all are taken; the slot is
     * freed by closing it.
     */
    public Optional<Slot> openStream(String owner) {
        boolean[] taken = {false};
        streams.compute(owner, (o, n) -> {
            int open = n == null ? 0 : n;
            if (open >= limits.streamsPerTenant()) {
                return n;
            }
            taken[0] = true;
            return open + 1;
        });
        if (!taken[0]) {
            return Optional.empty();
        }
        return Optional.of(new Slot(() -> streams.computeIfPresent(owner, (o, n) -> n <= 1 ? null : n - 1)));
    }

    /** Entries held when a follow started, and how to stop it. */
    public record Follow(List<LogEntry> held, Runnable cancel) implements AutoCloseable {
        @Override
        public void close() {
            cancel.run();
        }
    }

    /** A taken stream slot; closing it twice frees it once. */
    public static final class Slot implements AutoCloseable {
        private final Runnable release;
        private boolean closed;

        private Slot(Runnable release) {
            this.release = release;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                release.run();
            }
        }
    }

    /**
     * Drops the tenant's entries older than the retention. Runs on every record, so the rings are only walked when
     * {@link TenantLogs#oldest} says one may hold such an entry (not once per function of the tenant per call).
     */
    private void expire(TenantLogs tenant) {
        Instant cutoff = clock.instant().minus(limits.retention());
        if (tenant.oldest == null || !tenant.oldest.isBefore(cutoff)) {
            return;
        }
        Instant oldest = null;
        Iterator<ArrayDeque<LogEntry>> rings = tenant.rings.values().iterator();
        while (rings.hasNext()) {
            ArrayDeque<LogEntry> ring = rings.next();
            while (!ring.isEmpty() && ring.peekFirst().time().isBefore(cutoff)) {
                tenant.bytes -= ring.removeFirst().cost();
            }
            if (ring.isEmpty()) {
                rings.remove();
            } else if (oldest == null || ring.peekFirst().time().isBefore(oldest)) {
                oldest = ring.peekFirst().time();
            }
        }
        tenant.oldest = oldest;
    }

    /** Removes the tenant's oldest entry, whichever function's: the head of the ring whose head is oldest. */
    private static void evictOldest(TenantLogs tenant) {
        Map.Entry<String, ArrayDeque<LogEntry>> oldest = null;
        for (Map.Entry<String, ArrayDeque<LogEntry>> ring : tenant.rings.entrySet()) {
            if (oldest == null || ring.getValue().peekFirst().time().isBefore(oldest.getValue().peekFirst().time())) {
                oldest = ring;
            }
        }
        tenant.bytes -= oldest.getValue().removeFirst().cost();
        if (oldest.getValue().isEmpty()) {
            tenant.rings.remove(oldest.getKey());
        }
    }

    /** Where to cut {@code bytes} to at most {@code max}, never inside a UTF-8 sequence. */
    static int cut(byte[] bytes, int max) {
        if (bytes.length <= max) {
            return bytes.length;
        }
        int cut = max;
        // Back off over continuation bytes (10xxxxxx) to the start of the character the cut would split.
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80 && max - cut < 4) {
            cut--;
        }
        return (bytes[cut] & 0xC0) == 0x80 ? max : cut;
    }

    private static String text(byte[] bytes, int length) {
        if (length == 0) {
            return "";   // most calls write nothing to stderr: no decoder for them
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("replacing decoder threw", e);
        }
    }

    private static final class TenantLogs {
        final Map<String, ArrayDeque<LogEntry>> rings = new HashMap<>();
        final Map<String, List<Consumer<LogEntry>>> followers = new HashMap<>();
        long bytes;
        /**
         * No entry of the tenant's is older than this (null: it holds none). Entries removed otherwise (evicted,
         * dropped, pushed out of a ring) may leave it earlier than the truth, which only costs one walk.
         */
        Instant oldest;
    }
}
