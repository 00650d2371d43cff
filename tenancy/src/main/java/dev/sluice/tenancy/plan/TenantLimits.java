package dev.sluice.tenancy.plan;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.quota.FailPolicy;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything one tenant may use: the effective limits, resolved from its plan (or the configured defaults) and its
 * own overrides, see {@link PlanStore#resolve}. Each numeric field is validated by its {@link Limit}: positive, except
 * the optional quotas where 0 means unlimited.
 *
 * @param requestsPerSecond    sustained invocation rate
 * @param burst                bucket capacity: requests admitted at once after idling
 * @param maxConcurrency       invocations running at once; 0 = unlimited
 * @param maxFuelPerCall       most fuel (metered WebAssembly work, see docs/fuel.md) one invocation may use
 * @param fuelPerDay           fuel all invocations of one UTC day may use together; 0 = unlimited
 * @param invocationsPerMinute invocations per minute; 0 = unlimited
 * @param invocationsPerDay    invocations per UTC day; 0 = unlimited
 * @param maxMemoryPages       largest linear memory a function may have, in 64 KiB pages
 * @param maxTimeoutMs         longest wall-clock time one invocation may run
 * @param maxModuleBytes       largest module the tenant may deploy
 * @param maxFunctions         functions the tenant may have deployed at once; 0 = unlimited
 * @param maxAssetBytes        largest asset tree (its tar archive) one function may carry; 0 = assets refused
 * @param maxAssetFiles        most entries (files and directories) in one function's asset tree
 * @param scratchBytes         bytes one invocation may write to its {@code /tmp}; 0 = no {@code /tmp}
 * @param scratchInodes        files and directories one invocation may create in its {@code /tmp}
 * @param quotaFailPolicy      what to do when the shared quota store is unavailable; empty = the configured default
 */
public record TenantLimits(long requestsPerSecond, long burst, long maxConcurrency, long maxFuelPerCall,
                           long fuelPerDay, long invocationsPerMinute, long invocationsPerDay, int maxMemoryPages,
                           long maxTimeoutMs, long maxModuleBytes, long maxFunctions, long maxAssetBytes,
                           long maxAssetFiles, long scratchBytes, long scratchInodes,
                           Optional<FailPolicy> quotaFailPolicy) {
    /** Absolute ceiling for memory: 65536 pages is the whole 4 GiB wasm32 address space. */
    public static final int WASM32_MAX_PAGES = 65536;
    /** Fuel per call for tenants stored before the limit existed. */
    public static final long DEFAULT_MAX_FUEL_PER_CALL = 1_000_000_000L;

    public TenantLimits {
        Objects.requireNonNull(quotaFailPolicy, "quotaFailPolicy");
        Limit.REQUESTS_PER_SECOND.validate(requestsPerSecond);
        Limit.BURST.validate(burst);
        Limit.MAX_CONCURRENCY.validate(maxConcurrency);
        Limit.MAX_FUEL_PER_CALL.validate(maxFuelPerCall);
        Limit.FUEL_PER_DAY.validate(fuelPerDay);
        Limit.INVOCATIONS_PER_MINUTE.validate(invocationsPerMinute);
        Limit.INVOCATIONS_PER_DAY.validate(invocationsPerDay);
        Limit.MAX_MEMORY_PAGES.validate(maxMemoryPages);
        Limit.MAX_TIMEOUT_MS.validate(maxTimeoutMs);
        Limit.MAX_MODULE_BYTES.validate(maxModuleBytes);
        Limit.MAX_FUNCTIONS.validate(maxFunctions);
        Limit.MAX_ASSET_BYTES.validate(maxAssetBytes);
        Limit.MAX_ASSET_FILES.validate(maxAssetFiles);
        Limit.SCRATCH_BYTES.validate(scratchBytes);
        Limit.SCRATCH_INODES.validate(scratchInodes);
    }

    /**
     * The limits Sluice had before plans: the six core fields; the optional quotas unlimited, the fail policy the
     * configured default.
     */
    public static TenantLimits of(long requestsPerSecond, long burst, int maxMemoryPages, long maxTimeoutMs,
                                  long maxModuleBytes, long maxFuelPerCall) {
        return new TenantLimits(requestsPerSecond, burst, 0, maxFuelPerCall, 0, 0, 0, maxMemoryPages, maxTimeoutMs,
                maxModuleBytes, 0, Limit.MAX_ASSET_BYTES.absentValue().getAsLong(),
                Limit.MAX_ASSET_FILES.absentValue().getAsLong(), Limit.SCRATCH_BYTES.absentValue().getAsLong(),
                Limit.SCRATCH_INODES.absentValue().getAsLong(), Optional.empty());
    }

    /**
     * Limits from a value for every {@link Limit}.
     *
     * @throws TenancyException.InvalidInput naming the first missing or invalid key
     */
    public static TenantLimits of(Map<Limit, Long> values, Optional<FailPolicy> quotaFailPolicy) {
        Objects.requireNonNull(values, "values");
        for (Limit limit : Limit.values()) {
            if (!values.containsKey(limit)) {
                throw new TenancyException.InvalidInput(limit.key() + ": missing (expected: an integer)");
            }
        }
        return new TenantLimits(values.get(Limit.REQUESTS_PER_SECOND), values.get(Limit.BURST),
                values.get(Limit.MAX_CONCURRENCY), values.get(Limit.MAX_FUEL_PER_CALL), values.get(Limit.FUEL_PER_DAY),
                values.get(Limit.INVOCATIONS_PER_MINUTE), values.get(Limit.INVOCATIONS_PER_DAY),
                (int) Limit.MAX_MEMORY_PAGES.validate(values.get(Limit.MAX_MEMORY_PAGES)),
                values.get(Limit.MAX_TIMEOUT_MS), values.get(Limit.MAX_MODULE_BYTES), values.get(Limit.MAX_FUNCTIONS),
                values.get(Limit.MAX_ASSET_BYTES), values.get(Limit.MAX_ASSET_FILES), values.get(Limit.SCRATCH_BYTES),
                values.get(Limit.SCRATCH_INODES), quotaFailPolicy);
    }

    public long get(Limit limit) {
        return switch (limit) {
            case REQUESTS_PER_SECOND -> requestsPerSecond;
            case BURST -> burst;
            case MAX_CONCURRENCY -> maxConcurrency;
            case MAX_FUEL_PER_CALL -> maxFuelPerCall;
            case FUEL_PER_DAY -> fuelPerDay;
            case INVOCATIONS_PER_MINUTE -> invocationsPerMinute;
            case INVOCATIONS_PER_DAY -> invocationsPerDay;
            case MAX_MEMORY_PAGES -> maxMemoryPages;
            case MAX_TIMEOUT_MS -> maxTimeoutMs;
            case MAX_MODULE_BYTES -> maxModuleBytes;
            case MAX_FUNCTIONS -> maxFunctions;
            case MAX_ASSET_BYTES -> maxAssetBytes;
            case MAX_ASSET_FILES -> maxAssetFiles;
            case SCRATCH_BYTES -> scratchBytes;
            case SCRATCH_INODES -> scratchInodes;
        };
    }

    /** Every numeric field by its limit, in {@link Limit} order. */
    public Map<Limit, Long> asMap() {
        EnumMap<Limit, Long> map = new EnumMap<>(Limit.class);
        for (Limit limit : Limit.values()) {
            map.put(limit, get(limit));
        }
        return map;
    }

    /** These limits with the overridden fields replaced. */
    public TenantLimits with(LimitOverrides overrides) {
        if (overrides.isEmpty()) {
            return this;
        }
        EnumMap<Limit, Long> map = new EnumMap<>(asMap());
        map.putAll(overrides.values());
        return of(map, overrides.quotaFailPolicy().or(this::quotaFailPolicy));
    }
}
