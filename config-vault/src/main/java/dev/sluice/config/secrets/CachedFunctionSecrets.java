package dev.sluice.config.secrets;

import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Function secrets as the invocation path reads them: each function's values are kept for a while (the
 * configuration's poll period, read live), so an invocation costs no backend call in the common case — with Vault, a
 * read of one function's secrets is a list and two reads per secret.
 *
 * <p>How stale a value may be, said plainly:
 * <ul>
 *   <li>Writes and deletes through this gateway drop its entry at once, and a read that was under way meanwhile does
 *       not put the old values back. Another gateway (its own cache) still injects the old value, or a deleted
 *       secret, for up to one period after the write or delete.</li>
 *   <li>When the backend cannot be read (Vault away or sealed), the values last read keep serving, for as long as it
 *       stays away: a function never fails for a Vault outage once it ran on this gateway. They are then the values
 *       of before the outage, so a secret written or deleted through another gateway meanwhile is not seen here until
 *       Vault answers again.</li>
 *   <li>While the backend fails, an entry is asked for again at most once per period (the failed attempt counts as a
 *       read for the back-off), and at most one caller at a time refreshes an entry; the others serve the values in
 *       hand meanwhile. So an outage where Vault does not answer costs one caller one timeout per function and period,
 *       not every invocation a timeout. A function never read yet has nothing to serve: after its read failed, its
 *       callers fail at once for up to {@value #FIRST_READ_BACKOFF_NANOS} ns (or the period, if shorter).</li>
 * </ul>
 *
 * <p>Bounded by size: the names and values kept weigh at most {@value #MAX_BYTES} bytes in all (and at most
 * {@value #MAX_ENTRIES} functions), least recently used dropped first, so one tenant with many functions full of
 * large secrets cannot fill the heap; a dropped function is read again at its next invocation. Thread-safe: one lock
 * around the maps; backend calls happen outside it.
 */
public final class CachedFunctionSecrets implements FunctionSecrets {
    private static final System.Logger LOG = System.getLogger(CachedFunctionSecrets.class.getName());
    static final int MAX_ENTRIES = 10_000;
    /** The weight of everything kept: names and values as the JVM holds them (two bytes a char), plus overhead. */
    static final long MAX_BYTES = 32L * 1024 * 1024;
    /** A rough per-entry and per-secret overhead, so many empty entries weigh something too. */
    private static final int ENTRY_OVERHEAD = 128;
    private static final int SECRET_OVERHEAD = 64;
    /** After a failed first read of a function (nothing to serve), how long its callers fail at once. */
    static final long FIRST_READ_BACKOFF_NANOS = 1_000_000_000L;

    private final FunctionSecrets backend;
    private final LongSupplier nanoTime;
    private final LongSupplier maxAgeMillis;
    private final long maxBytes;
    private final Object lock = new Object();
    // Guarded by lock. Access order: the first entry is the least recently used.
    private final LinkedHashMap<Key, Cached> entries = new LinkedHashMap<>(256, 0.75f, true);
    /** The read under way for a key; a write or delete removes it, so that read does not store what it got. */
    private final Map<Key, Object> loading = new HashMap<>();
    private long bytes;
    /**
     * Functions whose first read failed: their callers fail at once until the back-off passes, instead of each
     * waiting for a backend that does not answer. Bounded like the entries; holds no value.
     */
    private final LinkedHashMap<Key, Failed> failed = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Failed> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    private record Failed(SecretsException.Unavailable error, long retryAtNanos) {}

    private record Key(String owner, String function) {}

    /** One function's values; {@code retryAtNanos}: after a failed refresh, no backend call before then. */
    private static final class Cached {
        final Map<String, String> values;
        final long readAtNanos;
        final long weight;
        long retryAtNanos;
        boolean backingOff;

        Cached(Map<String, String> values, long readAtNanos) {
            this.values = values;
            this.readAtNanos = readAtNanos;
            this.weight = weigh(values);
        }

        /** Never the values. */
        @Override
        public String toString() {
            return "Cached[" + values.size() + " secrets]";
        }
    }

    private CachedFunctionSecrets(FunctionSecrets backend, LongSupplier nanoTime, LongSupplier maxAgeMillis,
                                  long maxBytes) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.maxAgeMillis = Objects.requireNonNull(maxAgeMillis, "maxAgeMillis");
        this.maxBytes = maxBytes;
    }

    /**
     * @param maxAgeMillis how long values are served before the backend is asked again (read at every call, so a
     *                     live change of the poll period applies); also the back-off after a failed read
     */
    public static CachedFunctionSecrets over(FunctionSecrets backend, LongSupplier nanoTime, LongSupplier maxAgeMillis) {
        return new CachedFunctionSecrets(backend, nanoTime, maxAgeMillis, MAX_BYTES);
    }

    /** As above with another size bound (tests). */
    static CachedFunctionSecrets over(FunctionSecrets backend, LongSupplier nanoTime, LongSupplier maxAgeMillis,
                                      long maxBytes) {
        return new CachedFunctionSecrets(backend, nanoTime, maxAgeMillis, maxBytes);
    }

    @Override
    public Map<String, String> values(String owner, String function) {
        Key key = new Key(owner, function);
        long now = nanoTime.getAsLong();
        long maxAge = Math.max(0, maxAgeMillis.getAsLong()) * 1_000_000L;
        Cached cached;
        Object load = new Object();
        synchronized (lock) {
            cached = entries.get(key);
            if (cached != null) {
                if (now - cached.readAtNanos < maxAge) {
                    return cached.values;
                }
                if (loading.containsKey(key) || (cached.backingOff && now - cached.retryAtNanos < 0)) {
                    // Another caller is refreshing it, or the backend failed a moment ago: the values in hand.
                    return cached.values;
                }
            } else {
                Failed failure = failed.get(key);
                if (failure != null && now - failure.retryAtNanos() < 0) {
                    throw failure.error();
                }
            }
            loading.put(key, load);
        }
        Map<String, String> values;
        try {
            values = Map.copyOf(backend.values(owner, function));
        } catch (SecretsException.Unavailable e) {
            synchronized (lock) {
                loading.remove(key, load);
                if (cached == null) {
                    failed.put(key, new Failed(e, now + Math.min(maxAge, FIRST_READ_BACKOFF_NANOS)));
                    throw e;
                }
                // Last-known-good, as for the configuration; not asked again before a period passes.
                cached.backingOff = true;
                cached.retryAtNanos = now + maxAge;
            }
            LOG.log(Level.DEBUG, () -> "serving cached secrets of a function: " + e.getMessage());
            return cached.values;
        } catch (RuntimeException | Error e) {
            synchronized (lock) {
                loading.remove(key, load);
            }
            throw e;
        }
        synchronized (lock) {
            // Stored only when no write or delete came meanwhile (it removed the load): else the read may be older.
            if (loading.remove(key, load)) {
                store(key, new Cached(values, now));
            }
            failed.remove(key);
        }
        return values;
    }

    @Override
    public SecretVersion put(String owner, String function, SecretName name, SecretValue value) {
        try {
            return backend.put(owner, function, name, value);
        } finally {
            forget(owner, function);
        }
    }

    @Override
    public List<SecretVersion> list(String owner, String function) {
        return backend.list(owner, function);
    }

    @Override
    public boolean delete(String owner, String function, SecretName name) {
        try {
            return backend.delete(owner, function, name);
        } finally {
            forget(owner, function);
        }
    }

    @Override
    public void deleteAll(String owner, String function) {
        try {
            backend.deleteAll(owner, function);
        } finally {
            forget(owner, function);
        }
    }

    /** What the kept entries weigh now (tests). */
    long cachedBytes() {
        synchronized (lock) {
            return bytes;
        }
    }

    private void store(Key key, Cached fresh) {
        Cached old = entries.put(key, fresh);
        if (old != null) {
            bytes -= old.weight;
        }
        bytes += fresh.weight;
        Iterator<Map.Entry<Key, Cached>> eldest = entries.entrySet().iterator();
        while ((bytes > maxBytes || entries.size() > MAX_ENTRIES) && eldest.hasNext()) {
            Map.Entry<Key, Cached> entry = eldest.next();
            if (entry.getValue() == fresh) {
                continue; // Just read: the caller uses it anyway, and it alone fits the bound.
            }
            bytes -= entry.getValue().weight;
            eldest.remove();
        }
    }

    private void forget(String owner, String function) {
        Key key = new Key(owner, function);
        synchronized (lock) {
            Cached old = entries.remove(key);
            if (old != null) {
                bytes -= old.weight;
            }
            loading.remove(key);
            failed.remove(key);
        }
    }

    private static long weigh(Map<String, String> values) {
        long weight = ENTRY_OVERHEAD;
        for (Map.Entry<String, String> e : values.entrySet()) {
            weight += SECRET_OVERHEAD + 2L * (e.getKey().length() + e.getValue().length());
        }
        return weight;
    }
}
