package dev.sluice.tenancy.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** Warnings at most once per interval per topic, so an outage does not flood the log with one line per request. */
public final class RateLimitedLog {
    private final System.Logger log;
    private final LongSupplier nanoTime;
    private final long intervalNanos;
    private final ConcurrentHashMap<String, AtomicLong> lastLogged = new ConcurrentHashMap<>();

    public RateLimitedLog(System.Logger log, LongSupplier nanoTime, Duration interval) {
        this.log = Objects.requireNonNull(log, "log");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.intervalNanos = interval.toNanos();
    }

    public void warn(String topic, Supplier<String> message) {
        long now = nanoTime.getAsLong();
        AtomicLong last = lastLogged.computeIfAbsent(topic, t -> new AtomicLong(now - intervalNanos));
        long previous = last.get();
        if (now - previous >= intervalNanos && last.compareAndSet(previous, now)) {
            log.log(Level.WARNING, message.get());
        }
    }

    public void info(String message) {
        log.log(Level.INFO, message);
    }
}
