package dev.sluice.gateway;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
 * given. {@code X-Forwarded-For} is not trusted: any client could name any address there. Behind a proxy every client
 * shares the proxy's bucket, which the known-keys rule above keeps harmless for clients with working keys.
 *
 * <p>Memory is bounded: at most {@value #MAX_CLIENTS} clients with failures not yet refilled (a full bucket carries no
 * information and is swept), past which further clients share one bucket; at most {@value #MAX_KNOWN_KEYS} known keys,
 * kept as 128-bit SHA-256 fingerprints, never as text.
 *
 * <p>Threading: lock-free; per-client state is one long (GCRA: the instant the bucket is full again) updated with
 * {@link ConcurrentHashMap#compute}. Sweeps run on the calling thread, at most once per {@link #REFILL}.
 */
final class AuthFailureLimiter {
    static final int BURST = 10;
    static final Duration REFILL = Duration.ofSeconds(6);
    static final Duration KNOWN_FOR = Duration.ofHours(1);
    static final int MAX_CLIENTS = 10_000;
    static final int MAX_KNOWN_KEYS = 10_000;
    private static final long REFRESH_AFTER = Duration.ofMinutes(1).toNanos();
    /** Every client past {@link #MAX_CLIENTS}. */
    private static final Object OVERFLOW = new Object();
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

    private record Fingerprint(long high, long low) {}

    AuthFailureLimiter(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.interval = REFILL.toNanos();
        this.tolerance = (BURST - 1) * interval;
        this.knownFor = KNOWN_FOR.toNanos();
        this.lastSweep = new AtomicLong(nanoTime.getAsLong());
    }

    /**
     * Whether this client may try {@code presentedKey} (null when it sent none).
     *
     * @return empty to go ahead; otherwise the whole seconds until its next attempt is let through
     */
    OptionalLong refusal(SocketAddress peer, String presentedKey) {
        long now = nanoTime.getAsLong();
        Long full = fullAt.get(bucketOf(clientOf(peer)));
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
    void failed(SocketAddress peer, String presentedKey) {
        long now = nanoTime.getAsLong();
        Object client = clientOf(peer);
        if (!fullAt.containsKey(client) && fullAt.size() >= MAX_CLIENTS) {
            sweep(now);
        }
        Object bucket = bucketOf(client);
        fullAt.compute(bucket, (k, full) -> (full == null || full - now < 0 ? now : full) + interval);
        if (presentedKey != null && !known.isEmpty()) {
            known.remove(fingerprint(presentedKey));
        }
    }

    /** Remembers the key as working, for {@link #KNOWN_FOR}. */
    void succeeded(String presentedKey) {
        long now = nanoTime.getAsLong();
        Fingerprint fingerprint = fingerprint(presentedKey);
        Long seen = known.get(fingerprint);
        if (seen != null && now - seen < REFRESH_AFTER) {
            return;   // a hot key is written at most once a minute, not on every request
        }
        if (seen == null && known.size() >= MAX_KNOWN_KEYS) {
            sweep(now);
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

    /** The client's own bucket, or the shared one when the table is full and it has none. */
    private Object bucketOf(Object client) {
        return fullAt.size() >= MAX_CLIENTS && !fullAt.containsKey(client) ? OVERFLOW : client;
    }

    /** Drops full buckets and keys not seen for {@link #KNOWN_FOR}; at most once per refill interval. */
    private void sweep(long now) {
        long last = lastSweep.get();
        if (now - last < interval || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        fullAt.entrySet().removeIf(e -> e.getValue() - now <= 0);
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

    private static Fingerprint fingerprint(String presentedKey) {
        try {
            ByteBuffer digest = ByteBuffer.wrap(MessageDigest.getInstance("SHA-256")
                    .digest(presentedKey.getBytes(StandardCharsets.UTF_8)));
            return new Fingerprint(digest.getLong(), digest.getLong());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
