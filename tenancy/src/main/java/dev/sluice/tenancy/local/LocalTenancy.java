package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.auth.ApiKeys;

import dev.sluice.tenancy.TenancyStores;
import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.plan.PlanStore;
import dev.sluice.tenancy.redis.RedisTenancy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Objects;

/**
 * Tenancy for a single gateway process: tenants, plans and keys in JSON files under one data directory
 * ({@code tenants.json}, {@code plans.json}, {@code keys.json}). The files are read once
 * on open and are then owned by this instance; two processes must not share a data directory (use
 * {@link RedisTenancy} for several gateways). All services are thread-safe.
 */
public final class LocalTenancy implements TenancyStores {
    private final TenantStore tenants;
    private final PlanStore plans;
    private final FileApiKeys keys;

    private LocalTenancy(TenantStore tenants, PlanStore plans, FileApiKeys keys) {
        this.tenants = tenants;
        this.plans = plans;
        this.keys = keys;
    }

    /**
     * Opens (creating if needed) the file-backed stores under dataDir. Corrupt state → TenancyException.StorageFailure
     * whose message names the file and what is wrong (never silently dropped).
     *
     * @param clock    wall time, for created/updated stamps and key expiry
     */
    public static LocalTenancy open(Path dataDir, InstantSource clock) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clock, "clock");
        createDirectory(dataDir);
        FilePlanStore plans = FilePlanStore.open(dataDir);
        SecureRandom random = new SecureRandom();
        return new LocalTenancy(
                FileTenantStore.open(dataDir, clock, random, plans),
                plans,
                FileApiKeys.open(dataDir, clock, random));
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

    @Override
    public TenantStore tenants() {
        return tenants;
    }

    @Override
    public PlanStore plans() {
        return plans;
    }

    @Override
    public ApiKeys keys() {
        return keys;
    }

    /** Writes the keys' last-use times to disk (recording them never writes). */
    @Override
    public void flush() {
        keys.flush();
    }
}
