package dev.sluice.tenancy.internal;

import dev.sluice.tenancy.TenancyException;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A read-through cache whose entries (present or absent values) are trusted for at most {@code ttl}, so a change made
 * elsewhere is seen within {@code ttl} plus one read. A zero ttl disables caching: every get reads through.
 *
 * <p>When the store is unavailable, an entry loaded earlier keeps answering for up to {@link #STALE_IF_ERROR} past its
 * ttl (stale-if-error): a Redis outage then does not lock out every known tenant, at the price of changes made
 * during the outage being seen late. Unknown keys still fail.
 *
 * <p>Present and absent answers are kept apart, each up to {@code maxEntries}, and past that bound each is dropped
 * whole (simpler than eviction). Anyone can present unknown keys, but only the store's own entries are ever present:
 * so a flood of unknown keys cycles the absent half and never evicts a known key, whose next lookup would otherwise
 * be one more store read in the middle of the flood.
 *
 * <p>Threading: lock-free reads. A value loaded while an {@link #invalidate} ran is returned but not cached, so a
 * write on this instance is never hidden by a read that raced it.
 */
public final class TtlCache<K, V> {
    static final Duration STALE_IF_ERROR = Duration.ofMinutes(5);

    private final long ttlNanos;
    private final LongSupplier nanoTime;
    private final int maxEntries;
    private final ConcurrentHashMap<K, Entry<V>> present = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<K, Entry<V>> absent = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();

    private record Entry<V>(Optional<V> value, long loadedAt) {}

    public TtlCache(Duration ttl, LongSupplier nanoTime, int maxEntries) {
        this.ttlNanos = ttl.toNanos();
        this.nanoTime = nanoTime;
        this.maxEntries = maxEntries;
    }

    public Optional<V> get(K key, Function<K, Optional<V>> loader) {
        if (ttlNanos <= 0) {
            return loader.apply(key);
        }
        Entry<V> entry = present.get(key);
        if (entry == null) {
            entry = absent.get(key);
        }
        // Stamped before the read, so the entry's age covers the whole time the value may have been stale.
        long now = nanoTime.getAsLong();
        if (entry != null && now - entry.loadedAt() < ttlNanos) {
            return entry.value();
        }
        long generationBefore = generation.get();
        Optional<V> value;
        try {
            value = loader.apply(key);
        } catch (TenancyException.StoreUnavailable e) {
            if (entry != null && now - entry.loadedAt() < ttlNanos + STALE_IF_ERROR.toNanos()) {
                return entry.value();
            }
            throw e;
        }
        ConcurrentHashMap<K, Entry<V>> into = value.isPresent() ? present : absent;
        (value.isPresent() ? absent : present).remove(key);
        if (into.size() >= maxEntries) {
            into.clear();
        }
        into.put(key, new Entry<>(value, now));
        if (generation.get() != generationBefore) {
            into.remove(key);
        }
        return value;
    }

    public void invalidate(K key) {
        generation.incrementAndGet();
        present.remove(key);
        absent.remove(key);
    }

    public void clear() {
        generation.incrementAndGet();
        present.clear();
        absent.clear();
    }
}
