package dev.sluice.tenancy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Tenancy for a single gateway process: tenants and keys in JSON files under one data directory, rate quota in
 * process memory. The files are read once on open and are then owned by this instance; two processes must not share
 * a data directory. All three services are thread-safe.
 */
public final class LocalTenancy {
    private final TenantStore tenants;
    private final ApiKeys keys;
    private final RateLimiter rateLimiter;
    private final LocalUsageLedger usage;

    private LocalTenancy(TenantStore tenants, ApiKeys keys, RateLimiter rateLimiter, LocalUsageLedger usage) {
        this.tenants = tenants;
        this.keys = keys;
        this.rateLimiter = rateLimiter;
        this.usage = usage;
    }

    /**
     * Opens (creating if needed) the file-backed stores under dataDir. Corrupt state → TenancyException.StorageFailure
     * whose message names the file and what is wrong (never silently dropped).
     *
     * @param clock    wall time, for created/updated stamps and key expiry
     * @param nanoTime monotonic nanoseconds, for rate-quota refill
     */
    public static LocalTenancy open(Path dataDir, InstantSource clock, LongSupplier nanoTime) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(nanoTime, "nanoTime");
        createDirectory(dataDir);
        return new LocalTenancy(
                FileTenantStore.open(dataDir, clock),
                FileApiKeys.open(dataDir, clock, new SecureRandom()),
                new LocalRateLimiter(nanoTime),
                LocalUsageLedger.open(dataDir, clock));
    }

    private static void createDirectory(Path dataDir) {
        if (Files.isDirectory(dataDir)) {
            return;
        }
        try {
            Files.createDirectories(dataDir);
            try {
                // Key hashes and the admin token live here: owner only, when we are the ones creating it.
                Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException notPosix) {
                // Nothing more to do on such file systems.
            }
        } catch (IOException e) {
            throw new TenancyException.StorageFailure(dataDir + ": cannot create data directory (" + e + ")", e);
        }
    }

    public TenantStore tenants() {
        return tenants;
    }

    public ApiKeys keys() {
        return keys;
    }

    public RateLimiter rateLimiter() {
        return rateLimiter;
    }

    public UsageLedger usage() {
        return usage;
    }

    /** Writes the usage counters to disk; call periodically and at shutdown (recording itself never writes). */
    public void flushUsage() {
        usage.flush();
    }
}
