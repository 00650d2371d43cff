package dev.sluice.config.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CachedFunctionSecretsTest {
    private static final long PERIOD_MS = 5_000;

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final Backend backend = new Backend();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cached-secrets-test");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    /** An in-memory backend (our interface) that counts reads, can fail them, and can hold one read until released. */
    private static final class Backend implements FunctionSecrets {
        final Map<String, Map<String, String>> store = new ConcurrentHashMap<>();
        final AtomicInteger reads = new AtomicInteger();
        volatile boolean unavailable;
        volatile CountDownLatch reading;
        volatile CountDownLatch release;

        void set(String function, String name, String value) {
            store.computeIfAbsent(function, f -> new TreeMap<>()).put(name, value);
        }

        /** The next read records what it saw, signals {@code reading} and waits for {@code release}. */
        void holdNextRead() {
            reading = new CountDownLatch(1);
            release = new CountDownLatch(1);
        }

        @Override
        public SecretVersion put(String owner, String function, SecretName name, SecretValue value) {
            set(function, name.value(), value.reveal());
            return null;
        }

        @Override
        public List<SecretVersion> list(String owner, String function) {
            return List.of();
        }

        @Override
        public boolean delete(String owner, String function, SecretName name) {
            Map<String, String> values = store.get(function);
            return values != null && values.remove(name.value()) != null;
        }

        @Override
        public void deleteAll(String owner, String function) {
            store.remove(function);
        }

        @Override
        public Map<String, String> values(String owner, String function) {
            reads.incrementAndGet();
            Map<String, String> snapshot = Map.copyOf(store.getOrDefault(function, Map.of()));
            CountDownLatch held = reading;
            if (held != null) {
                reading = null;
                held.countDown();
                try {
                    assertTrue(release.await(30, TimeUnit.SECONDS), "released");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (unavailable) {
                throw new SecretsException.Unavailable("vault unavailable: timeout", null);
            }
            return snapshot;
        }
    }

    private CachedFunctionSecrets cache() {
        return CachedFunctionSecrets.over(backend, nanos::get, () -> PERIOD_MS);
    }

    @Test
    void whileTheBackendFailsAnExpiredEntryIsAskedForAtMostOncePerPeriodAndServesTheValuesLastRead() {
        backend.set("fn", "API_KEY", "v1");
        CachedFunctionSecrets cached = cache();
        assertEquals(Map.of("API_KEY", "v1"), cached.values("uid", "fn"));
        assertEquals(1, backend.reads.get());

        advance(Duration.ofMillis(PERIOD_MS + 1));
        backend.unavailable = true;
        for (int i = 0; i < 5; i++) {
            assertEquals(Map.of("API_KEY", "v1"), cached.values("uid", "fn"), "last-known-good");
        }
        assertEquals(2, backend.reads.get(), "one failed refresh, then back-off: not one Vault timeout per call");

        advance(Duration.ofMillis(PERIOD_MS - 1));
        cached.values("uid", "fn");
        assertEquals(2, backend.reads.get(), "still within the back-off");

        advance(Duration.ofMillis(2));
        cached.values("uid", "fn");
        assertEquals(3, backend.reads.get(), "after a period, asked again");

        backend.unavailable = false;
        backend.set("fn", "API_KEY", "v2");
        advance(Duration.ofMillis(PERIOD_MS + 1));
        assertEquals(Map.of("API_KEY", "v2"), cached.values("uid", "fn"), "back: fresh values");
        assertEquals(Map.of("API_KEY", "v2"), cached.values("uid", "fn"));
        assertEquals(4, backend.reads.get());
    }

    @Test
    void withoutValuesReadBeforeAnUnavailableBackendFailsTheCallAndFurtherCallsFailAtOnceForASecond() {
        backend.unavailable = true;
        CachedFunctionSecrets cached = cache();
        for (int i = 0; i < 5; i++) {
            SecretsException.Unavailable e =
                    assertThrows(SecretsException.Unavailable.class, () -> cached.values("uid", "fn"));
            assertEquals("vault unavailable: timeout", e.getMessage());
        }
        assertEquals(1, backend.reads.get(), "one caller waits for the backend, the others fail at once");

        advance(Duration.ofMillis(1001));
        backend.unavailable = false;
        backend.set("fn", "API_KEY", "v1");
        assertEquals(Map.of("API_KEY", "v1"), cached.values("uid", "fn"), "asked again after the back-off");
        assertEquals(2, backend.reads.get());
    }

    @Test
    void onlyOneCallerRefreshesAnEntryTheOthersServeTheValuesInHand() throws Exception {
        backend.set("fn", "API_KEY", "v1");
        CachedFunctionSecrets cached = cache();
        cached.values("uid", "fn");
        backend.set("fn", "API_KEY", "v2");
        advance(Duration.ofMillis(PERIOD_MS + 1));
        backend.holdNextRead();
        CountDownLatch reading = backend.reading;

        Future<Map<String, String>> refresher = threads.submit(() -> cached.values("uid", "fn"));
        assertTrue(reading.await(30, TimeUnit.SECONDS), "the refresh reached the backend");
        for (int i = 0; i < 3; i++) {
            CompletableFuture<Map<String, String>> other =
                    CompletableFuture.supplyAsync(() -> cached.values("uid", "fn"), threads);
            assertEquals(Map.of("API_KEY", "v1"), other.get(30, TimeUnit.SECONDS), "not waiting for the refresh");
        }
        assertEquals(2, backend.reads.get(), "one refresh in flight, no second read");

        backend.release.countDown();
        assertEquals(Map.of("API_KEY", "v2"), refresher.get(30, TimeUnit.SECONDS));
        assertEquals(Map.of("API_KEY", "v2"), cached.values("uid", "fn"));
        assertEquals(2, backend.reads.get());
    }

    @Test
    void aReadInFlightDuringDeleteAllDoesNotPutTheDeletedSecretsBack() throws Exception {
        backend.set("fn", "API_KEY", "old");
        CachedFunctionSecrets cached = cache();
        backend.holdNextRead();
        CountDownLatch reading = backend.reading;

        Future<Map<String, String>> invocation = threads.submit(() -> cached.values("uid", "fn"));
        assertTrue(reading.await(30, TimeUnit.SECONDS));
        cached.deleteAll("uid", "fn");
        backend.release.countDown();
        invocation.get(30, TimeUnit.SECONDS);

        assertEquals(Map.of(), cached.values("uid", "fn"), "the function was deleted: no secrets from the cache");
    }

    @Test
    void aRefreshInFlightDuringPutDoesNotPutTheOldValueBack() throws Exception {
        backend.set("fn", "API_KEY", "old");
        CachedFunctionSecrets cached = cache();
        cached.values("uid", "fn");
        advance(Duration.ofMillis(PERIOD_MS + 1));
        backend.holdNextRead();
        CountDownLatch reading = backend.reading;

        Future<Map<String, String>> invocation = threads.submit(() -> cached.values("uid", "fn"));
        assertTrue(reading.await(30, TimeUnit.SECONDS));
        cached.put("uid", "fn", SecretName.of("API_KEY"), SecretValue.of("rotated"));
        backend.release.countDown();
        invocation.get(30, TimeUnit.SECONDS);

        assertEquals(Map.of("API_KEY", "rotated"), cached.values("uid", "fn"), "this gateway's own write, at once");
    }

    @Test
    void theCacheIsBoundedByBytesLeastRecentlyUsedOutFirst() {
        String big = "x".repeat(1000); // about 2 KB as held
        for (int f = 0; f < 10; f++) {
            backend.set("fn" + f, "A", big);
            backend.set("fn" + f, "B", big);
        }
        long budget = 20_000; // about four functions of two secrets of 2 KB
        CachedFunctionSecrets cached = CachedFunctionSecrets.over(backend, nanos::get, () -> PERIOD_MS, budget);
        for (int f = 0; f < 10; f++) {
            cached.values("uid", "fn" + f);
            cached.values("uid", "fn0"); // kept in use
            assertTrue(cached.cachedBytes() <= budget, "within the budget: " + cached.cachedBytes());
        }
        int reads = backend.reads.get();

        cached.values("uid", "fn0");
        cached.values("uid", "fn9");
        assertEquals(reads, backend.reads.get(), "the recently used are kept");
        cached.values("uid", "fn1");
        assertEquals(reads + 1, backend.reads.get(), "the least recently used was dropped and is read again");
    }

    @Test
    void oneHugeTenantCannotGrowTheDefaultCacheBeyondItsBound() {
        String value = "v".repeat(SecretValue.MAX_BYTES);
        for (int s = 0; s < FunctionSecrets.MAX_PER_FUNCTION; s++) {
            backend.set("shared", "S" + s, value);
        }
        // Many functions, each with the most and largest secrets: the values are shared here, so the test is cheap,
        // but the cache weighs each entry as if they were not.
        CachedFunctionSecrets cached = cache();
        Map<String, String> full = backend.store.get("shared");
        for (int f = 0; f < 40; f++) {
            backend.store.put("fn" + f, full);
            cached.values("uid", "fn" + f);
        }
        assertTrue(cached.cachedBytes() <= CachedFunctionSecrets.MAX_BYTES, "bytes " + cached.cachedBytes());
        assertTrue(cached.cachedBytes() > CachedFunctionSecrets.MAX_BYTES / 2, "and it is used");
    }
}
