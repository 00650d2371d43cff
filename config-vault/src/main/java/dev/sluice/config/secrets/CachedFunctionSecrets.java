package dev.sluice.config.secrets;

import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Function secrets as the invocation path reads them: each function's values are kept for a while (the
 * configuration's poll period, read live), so an invocation costs no backend call in the common case — with Vault, a
 * read of one function's secrets is a list and two reads per secret — and, when the backend cannot be read (Vault
 * away or sealed), the values last read keep serving: a function never fails for a Vault outage once it ran since
 * the gateway started. Writes and deletes go to the backend and drop this gateway's entry at once; another gateway
 * sees them within its own period.
 *
 * <p>At most {@value #MAX_ENTRIES} functions are kept, least recently used dropped first. Thread-safe: one lock around
 * the map; backend calls happen outside it (two callers may read the same function at once after expiry, harmlessly).
 */
public final class CachedFunctionSecrets implements FunctionSecrets {
    private static final System.Logger LOG = System.getLogger(CachedFunctionSecrets.class.getName());
    static final int MAX_ENTRIES = 10_000;

    private final FunctionSecrets backend;
    private final LongSupplier nanoTime;
    private final LongSupplier maxAgeMillis;
    private final Map<Key, Cached> entries = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Cached> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    private record Key(String owner, String function) {}

    private record Cached(Map<String, String> values, long readAtNanos) {
        /** Never the values. */
        @Override
        public String toString() {
            return "Cached[" + values.size() + " secrets]";
        }
    }

    private CachedFunctionSecrets(FunctionSecrets backend, LongSupplier nanoTime, LongSupplier maxAgeMillis) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.maxAgeMillis = Objects.requireNonNull(maxAgeMillis, "maxAgeMillis");
    }

    /**
     * @param maxAgeMillis how long values are served before the backend is asked again (read at every call, so a
     *                     live change of the poll period applies)
     */
    public static CachedFunctionSecrets over(FunctionSecrets backend, LongSupplier nanoTime, LongSupplier maxAgeMillis) {
        return new CachedFunctionSecrets(backend, nanoTime, maxAgeMillis);
    }

    @Override
    public Map<String, String> values(String owner, String function) {
        Key key = new Key(owner, function);
        Cached cached;
        synchronized (entries) {
            cached = entries.get(key);
        }
        long now = nanoTime.getAsLong();
        if (cached != null && now - cached.readAtNanos() < maxAgeMillis.getAsLong() * 1_000_000L) {
            return cached.values();
        }
        Map<String, String> values;
        try {
            values = Map.copyOf(backend.values(owner, function));
        } catch (SecretsException.Unavailable e) {
            if (cached == null) {
                throw e;
            }
            // Last-known-good, as for the configuration: the function keeps running with what it had.
            LOG.log(Level.DEBUG, () -> "serving cached secrets of a function: " + e.getMessage());
            return cached.values();
        }
        synchronized (entries) {
            entries.put(key, new Cached(values, now));
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

    private void forget(String owner, String function) {
        synchronized (entries) {
            entries.remove(new Key(owner, function));
        }
    }
}
