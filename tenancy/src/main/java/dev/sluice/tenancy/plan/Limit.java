package dev.sluice.tenancy.plan;

import dev.sluice.tenancy.TenancyException;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The numeric fields of a plan or a tenant's limits, by their kebab-case key (the same name in JSON files, Redis, the
 * admin API and configuration). For the optional quotas ({@link #unlimitedAtZero()}: {@code max-concurrency},
 * {@code fuel-per-day}, {@code invocations-per-minute}, {@code invocations-per-day}, {@code max-functions}) a value of
 * 0 means unlimited. The file limits ({@code max-asset-bytes}, {@code max-asset-files}, {@code scratch-bytes},
 * {@code scratch-inodes}) also accept 0, which means none: no assets, no {@code /tmp}. Every other limit must be
 * positive. Every limit has a maximum ({@link #max()}): values that
 * large are already beyond any real use, and keeping them bounded keeps every sum and product of limits (a lease's
 * time to live, a fuel reservation, a body read's buffer size) far from overflowing.
 */
public enum Limit {
    REQUESTS_PER_SECOND("requests-per-second", 1, 1_000_000),
    BURST("burst", 1, 1_000_000),
    MAX_CONCURRENCY("max-concurrency", 0, 1_000_000),
    MAX_FUEL_PER_CALL("max-fuel-per-call", 1, Limit.MAX_FUEL),
    FUEL_PER_DAY("fuel-per-day", 0, Limit.MAX_FUEL),
    INVOCATIONS_PER_MINUTE("invocations-per-minute", 0, 1_000_000_000L),
    INVOCATIONS_PER_DAY("invocations-per-day", 0, 1_000_000_000_000L),
    MAX_MEMORY_PAGES("max-memory-pages", 1, TenantLimits.WASM32_MAX_PAGES),
    MAX_TIMEOUT_MS("max-timeout-ms", 1, 3_600_000),
    MAX_MODULE_BYTES("max-module-bytes", 1, 1L << 30),
    MAX_FUNCTIONS("max-functions", 0, 1_000_000),
    MAX_ASSET_BYTES("max-asset-bytes", 0, 1L << 30, false, 0),
    MAX_ASSET_FILES("max-asset-files", 0, 100_000, false, 1000),
    SCRATCH_BYTES("scratch-bytes", 0, 256L << 20, false, 1L << 20),
    SCRATCH_INODES("scratch-inodes", 0, 100_000, false, 64);

    /**
     * The most fuel a call or a day may have: 10^15, far beyond what an hour-long call can burn, and small enough that
     * a budget plus a reservation (and Redis' Lua numbers, doubles exact to 2^53) never overflow or round.
     */
    public static final long MAX_FUEL = 1_000_000_000_000_000L;

    private final String key;
    private final long min;
    private final long max;
    private final boolean unlimitedAtZero;
    private final long absent;

    Limit(String key, long min, long max) {
        this(key, min, max, min == 0, -1);
    }

    Limit(String key, long min, long max, boolean unlimitedAtZero, long absent) {
        this.key = key;
        this.min = min;
        this.max = max;
        this.unlimitedAtZero = unlimitedAtZero;
        this.absent = absent;
    }

    /** The kebab-case name, e.g. {@code requests-per-second}. */
    public String key() {
        return key;
    }

    /** The smallest value allowed: 0 for the optional quotas, else 1. */
    public long min() {
        return min;
    }

    /** The largest value allowed (documented in docs/tenancy.md and README's limits table). */
    public long max() {
        return max;
    }

    /** Whether 0 is allowed and means "no limit" (the optional quotas); for the file limits 0 means "none". */
    public boolean unlimitedAtZero() {
        return unlimitedAtZero;
    }

    /**
     * The value a complete limits record (a stored plan) written before this limit existed means, if it may be
     * missing: the file limits, added with function files, read as their built-in defaults so old plans still load.
     */
    public java.util.OptionalLong absentValue() {
        return absent < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(absent);
    }

    /** @throws TenancyException.InvalidInput naming the key and the expected range when the value is out of it */
    public long validate(long value) {
        if (value < min) {
            throw new TenancyException.InvalidInput(key + ": " + value + " (expected: "
                    + (min > 0 ? "> 0" : unlimitedAtZero ? ">= 0, 0 for unlimited" : ">= 0") + ")");
        }
        if (value > max) {
            throw new TenancyException.InvalidInput(key + ": " + value + " (expected: <= " + max + ")");
        }
        return value;
    }

    /**
     * A value as read from the stores: one stored above the maximum, before maxima existed, meant "as much as there
     * is" and is read as the maximum, so an upgrade starts instead of calling the state corrupt.
     */
    public long stored(long value) {
        return Math.min(value, max);
    }

    /** The limit with this key, if there is one. */
    public static Optional<Limit> find(String key) {
        for (Limit limit : values()) {
            if (limit.key.equals(key)) {
                return Optional.of(limit);
            }
        }
        return Optional.empty();
    }

    /** @throws TenancyException.InvalidInput listing the known keys when there is no limit with this key */
    public static Limit parse(String key) {
        return find(key).orElseThrow(() -> new TenancyException.InvalidInput("unknown limit '" + key
                + "' (expected one of: " + Arrays.stream(values()).map(Limit::key).collect(Collectors.joining(", "))
                + ", " + LimitOverrides.QUOTA_FAIL_POLICY + ")"));
    }
}
