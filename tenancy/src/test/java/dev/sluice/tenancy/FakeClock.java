package dev.sluice.tenancy;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Wall time and monotonic nanos that move only when a test says so. */
public final class FakeClock implements InstantSource, LongSupplier {
    private final AtomicLong nanos = new AtomicLong();
    private final Instant origin;

    public FakeClock(Instant origin) {
        this.origin = origin;
    }

    public static FakeClock atEpochDay() {
        return new FakeClock(Instant.parse("2025-01-01T00:00:00Z"));
    }

    public void advance(Duration by) {
        nanos.addAndGet(by.toNanos());
    }

    @Override
    public Instant instant() {
        return origin.plusNanos(nanos.get());
    }

    @Override
    public long getAsLong() {
        return nanos.get();
    }
}
