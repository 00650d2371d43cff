package dev.sluice.tenancy.internal;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenancyException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TtlCacheTest {
    final FakeClock clock = FakeClock.atEpochDay();
    final TtlCache<String, String> cache = new TtlCache<>(Duration.ofMillis(500), clock, 100);
    final AtomicInteger loads = new AtomicInteger();

    private Optional<String> load(String key) {
        loads.incrementAndGet();
        return Optional.of(key + "-" + loads.get());
    }

    private static Optional<String> unavailable(String key) {
        throw new TenancyException.StoreUnavailable("tenancy store: Redis unavailable", null);
    }

    @Test
    void entriesAreReusedWithinTheTtlAndReloadedAfter() {
        assertEquals("k-1", cache.get("k", this::load).orElseThrow());
        clock.advance(Duration.ofMillis(499));
        assertEquals("k-1", cache.get("k", this::load).orElseThrow());
        clock.advance(Duration.ofMillis(1));
        assertEquals("k-2", cache.get("k", this::load).orElseThrow());
    }

    @Test
    void knownEntriesKeepAnsweringWhileTheStoreIsUnavailable() {
        cache.get("k", this::load);
        clock.advance(Duration.ofMinutes(1));
        assertEquals("k-1", cache.get("k", TtlCacheTest::unavailable).orElseThrow(), "stale, but not locked out");
    }

    @Test
    void staleEntriesExpireForGoodAfterTheStaleIfErrorWindow() {
        cache.get("k", this::load);
        clock.advance(TtlCache.STALE_IF_ERROR.plusSeconds(1));
        assertThrows(TenancyException.StoreUnavailable.class, () -> cache.get("k", TtlCacheTest::unavailable));
    }

    @Test
    void unknownKeysFailWhileTheStoreIsUnavailable() {
        assertThrows(TenancyException.StoreUnavailable.class, () -> cache.get("new", TtlCacheTest::unavailable));
    }

    @Test
    void absentAnswersBeyondTheBoundNeverEvictAPresentOne() {
        assertEquals("good-1", cache.get("good", this::load).orElseThrow());
        for (int i = 0; i < 1000; i++) {
            assertEquals(Optional.empty(), cache.get("unknown-" + i, key -> Optional.empty()));
        }

        assertEquals("good-1", cache.get("good", this::load).orElseThrow(), "still cached: no second load");
        assertEquals(1, loads.get());
    }

    @Test
    void anAbsentAnswerIsReusedWithinTheTtlLikeAPresentOne() {
        AtomicInteger absentLoads = new AtomicInteger();
        for (int i = 0; i < 10; i++) {
            cache.get("unknown", key -> {
                absentLoads.incrementAndGet();
                return Optional.empty();
            });
        }
        assertEquals(1, absentLoads.get());

        cache.invalidate("unknown");
        assertEquals("unknown-1", cache.get("unknown", this::load).orElseThrow(), "now present, after invalidation");
    }
}
