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
 * Tenancy for a single gateway process: tenants, plans and keys under one data directory, as a journal of changes
 * ({@code tenancy.<seq>.journal}) over JSON snapshots ({@code tenants.json}, {@code plans.json}, {@code keys.json});
 * see {@link TenancyLog}. The files are read once on open and are then owned by this instance; two processes must not share a data directory (use
 * {@link RedisTenancy} for several gateways). All services are thread-safe.
 */
public final class LocalTenancy implements TenancyStores {
    private final TenantStore tenants;
    private final PlanStore plans;
    private final FileApiKeys keys;
    private final TenancyLog log;

    private LocalTenancy(TenantStore tenants, PlanStore plans, FileApiKeys keys, TenancyLog log) {
        this.tenants = tenants;
        this.plans = plans;
        this.keys = keys;
        this.log = log;
    }

    /**
     * Opens (creating if needed) the file-backed stores under dataDir. Corrupt state → TenancyException.StorageFailure
     * whose message names the file and what is wrong (never silently dropped).
     *
     * @param clock    wall time, for created/updated stamps and key expiry
     */
    public static LocalTenancy open(Path dataDir, InstantSource clock) {
        return open(dataDir, clock, TenancyLog.MIN_COMPACT_BYTES);
    }

    /** The same, snapshotting once the journal exceeds max(compactAbove, snapshot size) bytes: small in tests. */
    static LocalTenancy open(Path dataDir, InstantSource clock, long compactAbove) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clock, "clock");
        createDirectory(dataDir);
        FilePlanStore plans = FilePlanStore.open(dataDir);
        SecureRandom random = new SecureRandom();
        FileTenantStore tenants = FileTenantStore.open(dataDir, clock, random, plans);
        FileApiKeys keys = FileApiKeys.open(dataDir, clock, random);
        TenancyLog log = TenancyLog.open(dataDir, plans, tenants, keys, compactAbove);
        return new LocalTenancy(tenants, plans, keys, log);
    }

    TenancyLog log() {
        return log;
    }

    /** Closes the journal without flushing or snapshotting, as a crash would leave it (for tests). */
    void abandon() {
        log.close();
    }

    /** Writes the snapshots now and drops the journal they cover (done in the background as the journal grows). */
    void compact() {
        log.compact();
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

    /**
     * Flushes, then writes the snapshots so a cleanly stopped data directory is its JSON files alone (and the next
     * open replays nothing), and closes the journal.
     */
    @Override
    public void close() {
        try {
            flush();
            log.compact();
        } finally {
            log.close();
        }
    }
}
