package dev.sluice.gateway;

import dev.sluice.gateway.core.AuthFailures;
import dev.sluice.tenancy.auth.KeyFormat;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Limits failed authentications per client, so that guessing keys costs the key store (a Redis read per unknown id)
 * at most {@value #BURST} reads at once and one per {@link #REFILL} per client. Each failure takes a token from the
 * client's bucket; a success takes none. With the bucket empty, the client is refused before its key is looked at:
 * no store read, an answer in {@code retryAfterSeconds}.
 *
 * <p>Refusing the whole address would let anyone behind the same address (a NAT, a proxy in front of every gateway)
 * lock out everyone else with ten bad keys. So a key that authenticated on this gateway within {@link #KNOWN_FOR}
 * still passes from a refused address: guessing one is guessing 256 bits, and looking it up again costs at most one
 * read per cache ttl. What is refused is keys never seen to work, which is what a guesser sends.
 *
 * <p>The client is the TCP peer's address; IPv6 addresses count by their /64, which is what one host is usually
 * given. {@code X-Forwarded-For} is not trusted: any client could name any address there, and there is no setting to
 * trust a proxy. So behind a reverse proxy every client shares the proxy's bucket: one client guessing makes every
 * other client's key wait unless it worked here within {@link #KNOWN_FOR}; see docs/tenancy.md.
 *
 * <p>Memory is bounded: at most {@value #MAX_CLIENTS} clients with failures not yet refilled (a full bucket carries no
 * information), at most {@value #MAX_KNOWN_KEYS} known keys, kept as 128-bit SHA-256 fingerprints, never as text.
 * When a client fails for the first time and the table is full, the table drops its refilled buckets and then the
 * fullest ones ({@value #EVICT_BATCH} at a time, so the sort is paid once per that many newcomers) and the newcomer
 * gets a bucket of its own. Never a shared one: an attacker holding the table with many addresses could empty a
 * shared bucket and so refuse every client it had not seen, on its first request. Dropping the fullest buckets keeps
 * the addresses that keep failing (theirs are the emptiest), and a client without an entry is never refused. What
 * this gives up: an attacker with more than {@value #MAX_CLIENTS} addresses can get some of its buckets forgotten and
 * so guess faster than the per-address limit; a shared bucket bounded that, at the price above.
 *
 * <p>Threading: {@link #refusal} and failures of a client already in the table are lock-free (per-client state is one
 * long, GCRA: the instant the bucket is full again, updated with {@link ConcurrentHashMap#compute}). Only a newcomer's
 * failure takes a lock, so that the check of the bound, the eviction and the insert are one step and the bound holds
 * under any concurrency.
 */
final class AuthFailureLimiter implements AuthFailures {
    static final int BURST = 10;
    static final Duration REFILL = Duration.ofSeconds(6);
    static final Duration KNOWN_FOR = Duration.ofHours(1);
    static final int MAX_CLIENTS = 10_000;
    static final int MAX_KNOWN_KEYS = 10_000;
    /** Entries dropped at once when a newcomer finds the table full. */
    static final int EVICT_BATCH = MAX_CLIENTS / 10;
    private static final long REFRESH_AFTER = Duration.ofMinutes(1).toNanos();
    /** A peer that is not an IP socket: there is none with Helidon's TCP listener, but it must count somewhere. */
    private static final Object OTHER = new Object();

    private final LongSupplier nanoTime;
    private final long interval;
    private final long tolerance;
    private final long knownFor;
    /** Per client: the instant at which its bucket is full again; an entry at or before now is a full bucket. */
    private final ConcurrentHashMap<Object, Long> fullAt = new ConcurrentHashMap<>();
    /** Fingerprints of keys that authenticated, with when they last did. */
    private final ConcurrentHashMap<Fingerprint, Long> known = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep;
    /** Held to insert a client into {@link #fullAt} or remove any: all that changes its size. */
    private final Object admission = new Object();
    /** When a newcomer last dropped the refilled buckets; guarded by {@link #admission}. */
    private long lastClientSweep;

    private record Fingerprint(long high, long low) {}

    AuthFailureLimiter(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.interval = REFILL.toNanos();
        this.tolerance = (BURST - 1) * interval;
        this.knownFor = KNOWN_FOR.toNanos();
        this.lastSweep = new AtomicLong(nanoTime.getAsLong());
        this.lastClientSweep = lastSweep.get();
    }

    /**
     * Whether this client may try {@code presentedKey} (null when it sent none).
     *
     * @return empty to go ahead; otherwise the whole seconds until its next attempt is let through
     */
    @Override
    public OptionalLong refusal(SocketAddress peer, String presentedKey) {
        long now = nanoTime.getAsLong();
        Long full = fullAt.get(clientOf(peer));
        if (full == null || full - now <= tolerance) {
            return OptionalLong.empty();
        }
        if (presentedKey != null && !known.isEmpty()) {
            Long seen = known.get(fingerprint(presentedKey));
            if (seen != null && now - seen < knownFor) {
                return OptionalLong.empty();
            }
        }
        long waitNanos = full - now - tolerance;
        return OptionalLong.of(Math.max(1, (waitNanos + 999_999_999) / 1_000_000_000));
    }

    /** Takes one token from the client's bucket; the key, if it was known, is known no longer. */
    @Override
    public void failed(SocketAddress peer, String presentedKey) {
        long now = nanoTime.getAsLong();
        Object client = clientOf(peer);
        if (fullAt.computeIfPresent(client, (k, full) -> take(full, now)) == null) {
            synchronized (admission) {
                if (now - lastClientSweep >= interval) {
                    lastClientSweep = now;   // refilled buckets are dropped at most once per interval, not per call
                    fullAt.values().removeIf(full -> full - now <= 0);
                }
                if (!fullAt.containsKey(client) && fullAt.size() >= MAX_CLIENTS) {
                    evict(now);
                }
                fullAt.compute(client, (k, full) -> take(full, now));
            }
        }
        if (presentedKey != null && !known.isEmpty()) {
            known.remove(fingerprint(presentedKey));
        }
    }

    private long take(Long full, long now) {
        return (full == null || full - now < 0 ? now : full) + interval;
    }

    /** Remembers the key as working, for {@link #KNOWN_FOR}. */
    @Override
    public void succeeded(String presentedKey) {
        long now = nanoTime.getAsLong();
        Fingerprint fingerprint = fingerprint(presentedKey);
        Long seen = known.get(fingerprint);
        if (seen != null && now - seen < REFRESH_AFTER) {
            return;   // a hot key is written at most once a minute, not on every request
        }
        if (seen == null && known.size() >= MAX_KNOWN_KEYS) {
            sweepKnown(now);
            if (known.size() >= MAX_KNOWN_KEYS) {
                return;
            }
        }
        known.put(fingerprint, now);
    }

    /** Clients with failures on record: for tests of the bound. */
    int trackedClients() {
        return fullAt.size();
    }

    /**
     * With {@link #admission} held and the table full: drops the refilled buckets, then, if fewer than
     * {@value #EVICT_BATCH} went, the fullest ones (earliest full-again instant) until that many have. A bucket that is
     * emptied again and again (an address that keeps failing) has the latest instant and is the last to go.
     */
    private void evict(long now) {
        fullAt.values().removeIf(full -> full - now <= 0);
        int excess = fullAt.size() - (MAX_CLIENTS - EVICT_BATCH);
        if (excess <= 0) {
            return;
        }
        long[] instants = fullAt.values().stream().mapToLong(full -> full - now).sorted().toArray();
        long cutoff = instants[Math.min(excess, instants.length) - 1];
        fullAt.values().removeIf(full -> full - now <= cutoff);
        // Failures of tracked clients run meanwhile without the lock and can move entries past the cutoff; the bound
        // must hold all the same, so in that rare case drop any entries.
        var rest = fullAt.keySet().iterator();
        while (fullAt.size() >= MAX_CLIENTS && rest.hasNext()) {
            rest.next();
            rest.remove();
        }
    }

    /** Drops keys not seen for {@link #KNOWN_FOR}; at most once per refill interval. */
    private void sweepKnown(long now) {
        long last = lastSweep.get();
        if (now - last < interval || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        known.entrySet().removeIf(e -> now - e.getValue() >= knownFor);
    }

    static Object clientOf(SocketAddress peer) {
        if (!(peer instanceof InetSocketAddress socket) || socket.getAddress() == null) {
            return OTHER;
        }
        InetAddress address = socket.getAddress();
        byte[] bytes = address.getAddress();
        if (address instanceof Inet4Address) {
            return ByteBuffer.wrap(bytes).getInt();
        }
        return ByteBuffer.wrap(bytes).getLong();   // the /64 prefix: Integer and Long keys never collide
    }

    /** Computed on every authenticated request ({@link #succeeded}): with a cloned digest, not a provider lookup. */
    private static Fingerprint fingerprint(String presentedKey) {
        ByteBuffer digest = ByteBuffer.wrap(KeyFormat.sha256().digest(presentedKey.getBytes(StandardCharsets.UTF_8)));
        return new Fingerprint(digest.getLong(), digest.getLong());
    }
}
