package dev.sluice.scheduler;

import dev.sluice.scheduler.assets.AttachedAssets;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A deployed function: who owns it, which module (by content digest) and the limits each invocation runs under.
 *
 * @param tenant      the owner, an opaque string (the scheduler does not depend on tenancy): the gateway passes the
 *                    tenant's internal uid, so it must never appear in a message a client can see
 * @param digest      {@code sha256:<hex>} of the module bytes as uploaded
 * @param size        module size in bytes
 * @param memoryPages cap on linear memory, in 64 KiB pages
 * @param timeoutMs   wall-clock limit of one invocation
 * @param fuel        fuel budget of one invocation (see {@link dev.sluice.scheduler.fuel.FuelCosts})
 * @param assets      the function's file tree and where the guest sees it, if it has one: set and removed by
 *                    {@link FunctionRegistry#attach} only, kept by a deploy of a new module
 */
public record FunctionSpec(String tenant, FunctionName name, String digest, long size, int memoryPages,
                           long timeoutMs, Instant deployedAt, long fuel, Optional<AttachedAssets> assets) {
    /** The budget of functions stored before fuel existed. */
    public static final long DEFAULT_FUEL = 1_000_000_000L;

    public FunctionSpec {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(deployedAt, "deployedAt");
        Objects.requireNonNull(assets, "assets");
        if (memoryPages <= 0) {
            throw new SchedulerException.InvalidInput("memory-pages: " + memoryPages + " (expected: > 0)");
        }
        if (timeoutMs <= 0) {
            throw new SchedulerException.InvalidInput("timeout-ms: " + timeoutMs + " (expected: > 0)");
        }
        if (fuel <= 0) {
            throw new SchedulerException.InvalidInput("fuel: " + fuel + " (expected: > 0)");
        }
    }

    /** A function without assets. */
    public FunctionSpec(String tenant, FunctionName name, String digest, long size, int memoryPages, long timeoutMs,
                        Instant deployedAt, long fuel) {
        this(tenant, name, digest, size, memoryPages, timeoutMs, deployedAt, fuel, Optional.empty());
    }

    /** This function with {@code assets} instead of its own. */
    public FunctionSpec withAssets(Optional<AttachedAssets> assets) {
        return new FunctionSpec(tenant, name, digest, size, memoryPages, timeoutMs, deployedAt, fuel, assets);
    }
}
