package dev.sluice.tenancy;

/**
 * What one tenant may use. Every field is positive; {@code burst} is at least one.
 *
 * @param requestsPerSecond sustained invocation rate
 * @param burst             bucket capacity: requests admitted at once after idling
 * @param maxMemoryPages    largest linear memory a function may have, in 64 KiB pages
 * @param maxTimeoutMs      longest wall-clock time one invocation may run
 * @param maxModuleBytes    largest module the tenant may deploy
 * @param maxFuelPerCall    most fuel (metered WebAssembly work, see docs/fuel.md) one invocation may use
 */
public record TenantLimits(long requestsPerSecond, long burst, int maxMemoryPages, long maxTimeoutMs,
                           long maxModuleBytes, long maxFuelPerCall) {
    /** Absolute ceiling for memory: 65536 pages is the whole 4 GiB wasm32 address space. */
    public static final int WASM32_MAX_PAGES = 65536;
    /** Fuel per call for tenants stored before the limit existed. */
    public static final long DEFAULT_MAX_FUEL_PER_CALL = 1_000_000_000L;

    public TenantLimits {
        positive("requests-per-second", requestsPerSecond);
        positive("burst", burst);
        positive("max-memory-pages", maxMemoryPages);
        if (maxMemoryPages > WASM32_MAX_PAGES) {
            throw new TenancyException.InvalidInput(
                    "max-memory-pages: " + maxMemoryPages + " (expected: <= " + WASM32_MAX_PAGES + ")");
        }
        positive("max-timeout-ms", maxTimeoutMs);
        positive("max-module-bytes", maxModuleBytes);
        positive("max-fuel-per-call", maxFuelPerCall);
    }

    private static void positive(String key, long value) {
        if (value <= 0) {
            throw new TenancyException.InvalidInput(key + ": " + value + " (expected: > 0)");
        }
    }
}
