package dev.sluice.tenancy.local;

import dev.sluice.config.Journal;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.internal.StoredJson;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * The journal of a data directory's plans, tenants and keys ({@code tenancy.<seq>.journal}) and the snapshots that
 * let it be cut short. Every change is one record, appended durably before the store publishes it; the snapshots are
 * the stores' JSON files ({@code plans.json}, {@code tenants.json}, {@code keys.json}), each carrying the seq of the
 * last record it includes. Opening loads each snapshot and replays the records after its seq, so a data directory
 * from before the journal (files without a seq, no journal) opens as it is.
 *
 * <p>When the current segment outgrows max(4 MiB, the last snapshot's size), a background thread takes every
 * store's write lock (plans and tenants share one, then keys), starts a new segment, copies the maps, releases the
 * locks, writes the three snapshots and deletes the segments they cover. A crash at any point leaves either the old
 * snapshot plus all segments, or the new snapshot plus segments whose extra records it skips by seq.
 */
final class TenancyLog implements AutoCloseable {
    static final String PREFIX = "tenancy";
    static final long MIN_COMPACT_BYTES = 4L << 20;
    private static final System.Logger LOG = System.getLogger(TenancyLog.class.getName());

    private final FilePlanStore plans;
    private final FileTenantStore tenants;
    private final FileApiKeys keys;
    private final AtomicBoolean compacting = new AtomicBoolean();
    /** One compaction at a time: an older one finishing last would replace newer snapshots. */
    private final Object compactLock = new Object();
    private final long compactAbove;
    private Journal journal;
    private volatile long snapshotBytes;
    /** The seq all three snapshots include; guarded by compactLock. */
    private long snapshotsInclude;

    private TenancyLog(FilePlanStore plans, FileTenantStore tenants, FileApiKeys keys, long compactAbove) {
        this.plans = plans;
        this.tenants = tenants;
        this.keys = keys;
        this.compactAbove = compactAbove;
    }

    /** Replays the journal into the stores (opened from their snapshots) and attaches itself to them. */
    static TenancyLog open(Path dataDir, FilePlanStore plans, FileTenantStore tenants, FileApiKeys keys) {
        return open(dataDir, plans, tenants, keys, MIN_COMPACT_BYTES);
    }

    /** The same, compacting once a segment exceeds max(compactAbove, snapshot size): small in tests. */
    static TenancyLog open(Path dataDir, FilePlanStore plans, FileTenantStore tenants, FileApiKeys keys,
                           long compactAbove) {
        TenancyLog log = new TenancyLog(plans, tenants, keys, compactAbove);
        long floor = Math.max(plans.snapshotSeq(), Math.max(tenants.snapshotSeq(), keys.snapshotSeq()));
        try {
            log.journal = Journal.open(dataDir, PREFIX, floor, log::replay);
        } catch (IOException e) {
            throw storageFailure(e);
        }
        log.snapshotsInclude = Math.min(plans.snapshotSeq(), Math.min(tenants.snapshotSeq(), keys.snapshotSeq()));
        log.snapshotBytes = size(dataDir.resolve(FilePlanStore.FILE_NAME)) + size(dataDir.resolve(
                FileTenantStore.FILE_NAME)) + size(dataDir.resolve(FileApiKeys.FILE_NAME));
        plans.attach(log);
        tenants.attach(log);
        keys.attach(log);
        return log;
    }

    private static long size(Path file) {
        try {
            return java.nio.file.Files.size(file);
        } catch (java.io.IOException absent) {
            return 0;
        }
    }

    private void replay(Journal.Entry entry) {
        StoredJson source = StoredJson.value(PREFIX + " journal, record " + entry.seq());
        ObjectNode record = source.parseObject(entry.payload(), "record");
        String op = source.text(record, "op", "record");
        switch (op) {
            case FilePlanStore.PUT, FilePlanStore.DELETE -> plans.replay(entry.seq(), op, record, source);
            case FileTenantStore.PUT, FileTenantStore.DELETE -> tenants.replay(entry.seq(), op, record, source);
            case FileApiKeys.CHANGE, FileApiKeys.LAST_USED -> keys.replay(entry.seq(), op, record, source);
            default -> throw source.corrupt("record.op: '" + op + "' (unknown; written by a newer Sluice?)", null);
        }
    }

    /** The seq of the last record written (what a snapshot taken now includes). */
    long lastSeq() {
        return journal.lastSeq();
    }

    /**
     * Appends {@code record} durably (call with the store's write lock held, and publish the change only after this
     * returns); starts a compaction in the background when one is due.
     */
    long append(ObjectNode record) {
        long seq;
        try {
            seq = journal.append(StoredJson.compactBytes(record));
        } catch (IOException e) {
            throw storageFailure(e);
        }
        if (journal.segmentBytes() > Math.max(compactAbove, snapshotBytes) && compacting.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("sluice-tenancy-snapshot").start(() -> {
                try {
                    compact();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "tenancy snapshot failed; the journal keeps every change and the next"
                            + " snapshot retries: " + e.getMessage(), e);
                } finally {
                    compacting.set(false);
                }
            });
        }
        return seq;
    }

    /** Writes all three snapshots as of now and deletes the journal segments they cover. */
    void compact() {
        synchronized (compactLock) {
            compactNow();
        }
    }

    private void compactNow() {
        if (journal.lastSeq() <= snapshotsInclude) {
            return;
        }
        long seq;
        LongSupplier writePlans;
        LongSupplier writeTenants;
        LongSupplier writeKeys;
        synchronized (plans.writeLock()) {
            synchronized (keys.writeLock()) {
                try {
                    seq = journal.roll();
                } catch (IOException e) {
                    throw storageFailure(e);
                }
                writePlans = plans.captureSnapshot(seq);
                writeTenants = tenants.captureSnapshot(seq);
                writeKeys = keys.captureSnapshot(seq);
            }
        }
        long bytes = writePlans.getAsLong() + writeTenants.getAsLong() + writeKeys.getAsLong();
        try {
            journal.deleteThrough(seq);
        } catch (IOException e) {
            throw storageFailure(e);
        }
        snapshotsInclude = seq;
        snapshotBytes = bytes;
    }

    /** The journal's errors name their file already; this is where they become tenancy's. */
    static TenancyException.StorageFailure storageFailure(IOException e) {
        return new TenancyException.StorageFailure(e.getMessage(), e);
    }

    @Override
    public void close() {
        journal.close();
    }
}
