package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.config.Journal;
import dev.sluice.tenancy.internal.StoredJson;
import dev.sluice.tenancy.usage.DailyUsage;
import dev.sluice.tenancy.usage.UsageLedger;
import dev.sluice.tenancy.usage.UsageSummary;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Usage counters in process memory, written by {@link #flush} (the gateway flushes every few seconds and at shutdown),
 * so a crash loses at most the last interval. A flush appends one record to {@code usage.<seq>.journal} holding the
 * (tenant, day) rows that changed since the last one, with their totals, so its cost follows the tenants active in the
 * interval, not all tenants; {@code usage.json} is the snapshot, rewritten when the journal outgrows max(4 MiB, its
 * size), and a {@code usage.json} from before the journal opens as the first snapshot. Days older than
 * {@link UsageLedger#RETENTION_DAYS} are dropped at flush and at open. Recording is lock-free (adders per tenant and
 * day); flush takes the ledger's lock.
 */
public final class LocalUsageLedger implements UsageLedger {
    private static final String FILE = "usage.json";
    private static final String PREFIX = "usage";

    private final InstantSource clock;
    private final StoredJson store;
    private final ConcurrentHashMap<TenantUid, ConcurrentHashMap<LocalDate, Counters>> tenants =
            new ConcurrentHashMap<>();
    /** Tenants forgotten since the last flush: the next record says so. */
    private final Set<TenantUid> forgotten = ConcurrentHashMap.newKeySet();
    private final long compactAbove;
    private Journal journal;
    private long snapshotSeq;
    private long snapshotBytes;

    private LocalUsageLedger(InstantSource clock, StoredJson store, long compactAbove) {
        this.clock = clock;
        this.store = store;
        this.compactAbove = compactAbove;
    }

    public static LocalUsageLedger open(java.nio.file.Path dataDir, InstantSource clock) {
        return open(dataDir, clock, 4L << 20);
    }

    /** The same, rewriting the snapshot once the journal exceeds max(compactAbove, snapshot size): small in tests. */
    static LocalUsageLedger open(java.nio.file.Path dataDir, InstantSource clock, long compactAbove) {
        java.nio.file.Path file = dataDir.resolve(FILE);
        LocalUsageLedger ledger = new LocalUsageLedger(clock, new StoredJson(file), compactAbove);
        ledger.store.readDocument("usage").ifPresent(document -> {
            ledger.load(ledger.store, document.array(), "usage");
            ledger.snapshotSeq = document.seq();
            try {
                ledger.snapshotBytes = java.nio.file.Files.size(file);
            } catch (java.io.IOException e) {
                throw new TenancyException.StorageFailure(file + ": cannot read (" + e + ")", e);
            }
        });
        try {
            ledger.journal = Journal.open(dataDir, PREFIX, ledger.snapshotSeq, ledger::replay);
        } catch (java.io.IOException e) {
            throw TenancyLog.storageFailure(e);
        }
        ledger.prune();
        ledger.clean();
        return ledger;
    }

    private void replay(Journal.Entry entry) {
        if (entry.seq() <= snapshotSeq) {
            return;
        }
        StoredJson source = StoredJson.value(PREFIX + " journal, record " + entry.seq());
        ObjectNode record = source.parseObject(entry.payload(), "record");
        JsonNode forget = record.path("forget");
        for (int i = 0; i < forget.size(); i++) {
            String uid = forget.get(i).asText();
            tenants.remove(source.domain("record.forget[" + i + "]", () -> TenantUid.of(uid)));
        }
        load(source, record.path("rows"), "record.rows");
    }

    /** Sets the rows' totals (a journal record holds totals, so the last record of a row wins). */
    private void load(StoredJson source, JsonNode entries, String name) {
        for (int i = 0; i < entries.size(); i++) {
            String path = name + "[" + i + "]";
            ObjectNode entry = source.object(entries.get(i), path);
            TenantUid tenant = source.domain(path + ".tenant", () -> TenantUid.of(source.text(entry, "tenant", path)));
            LocalDate day = source.domain(path + ".day", () -> LocalDate.parse(source.text(entry, "day", path)));
            Counters counters = new Counters();
            counters.invocations.add(source.nonNegativeLong(entry, "invocations", path));
            counters.errors.add(source.nonNegativeLong(entry, "errors", path));
            counters.throttles.add(source.nonNegativeLong(entry, "throttles", path));
            counters.fuel.add(source.nonNegativeLong(entry, "fuel", path));
            tenants.computeIfAbsent(tenant, t -> new ConcurrentHashMap<>()).put(day, counters);
        }
    }

    @Override
    public void invocation(TenantUid tenant, boolean failed, long fuelUsed) {
        Counters counters = counters(tenant, today());
        counters.invocations.increment();
        if (failed) {
            counters.errors.increment();
        }
        counters.fuel.add(Math.max(0, fuelUsed));
        counters.touch();
    }

    @Override
    public void throttled(TenantUid tenant) {
        Counters counters = counters(tenant, today());
        counters.throttles.increment();
        counters.touch();
    }

    @Override
    public List<DailyUsage> daily(TenantUid tenant, int days) {
        if (days <= 0) {
            throw new TenancyException.InvalidInput("days: " + days + " (expected: > 0)");
        }
        LocalDate oldest = today().minusDays(days - 1L);
        Map<LocalDate, Counters> byDay = tenants.getOrDefault(tenant, new ConcurrentHashMap<>());
        return byDay.entrySet().stream()
                .filter(e -> !e.getKey().isBefore(oldest))
                .sorted(Map.Entry.<LocalDate, Counters>comparingByKey().reversed())
                .map(e -> e.getValue().snapshot(e.getKey()))
                .toList();
    }

    /** Sums in memory: a few map lookups per tenant and day kept, no I/O. */
    @Override
    public UsageSummary summary(Collection<TenantUid> tenants, int days) {
        LocalDate today = today();
        LocalDate from = UsageSummary.firstDay(today, days);
        Map<TenantUid, UsageSummary.Totals> totals = new HashMap<>();
        for (TenantUid tenant : tenants) {
            UsageSummary.Totals sum = UsageSummary.Totals.ZERO;
            Map<LocalDate, Counters> byDay = this.tenants.get(tenant);
            if (byDay != null) {
                for (Map.Entry<LocalDate, Counters> day : byDay.entrySet()) {
                    if (!day.getKey().isBefore(from) && !day.getKey().isAfter(today)) {
                        sum = sum.plus(day.getValue().snapshot(day.getKey()));
                    }
                }
            }
            totals.put(tenant, sum);
        }
        return new UsageSummary(from, today, totals);
    }

    @Override
    public void forget(TenantUid tenant) {
        forgotten.add(tenant);
        tenants.remove(tenant);
    }

    /**
     * Appends the rows changed since the last flush (and the tenants forgotten) as one record; nothing when nothing
     * changed. Rewrites the snapshot when the journal has grown past it or a tenant was forgotten.
     */
    public synchronized void flush() {
        prune();
        List<TenantUid> forget = new ArrayList<>(forgotten);
        forgotten.removeAll(forget);
        List<Counters> changed = new ArrayList<>();
        ObjectNode record = store.newObject();
        ArrayNode rows = record.putArray("rows");
        tenants.forEach((tenant, days) -> days.forEach((day, counters) -> {
            if (counters.takeDirty()) {
                changed.add(counters);
                row(rows.addObject(), tenant, counters.snapshot(day));
            }
        }));
        if (!forget.isEmpty()) {
            ArrayNode array = record.putArray("forget");
            forget.forEach(uid -> array.add(uid.value()));
        }
        if (changed.isEmpty() && forget.isEmpty()) {
            return;
        }
        try {
            journal.append(StoredJson.compactBytes(record));
        } catch (java.io.IOException e) {
            changed.forEach(Counters::touch);
            forgotten.addAll(forget);
            throw TenancyLog.storageFailure(e);
        } catch (RuntimeException e) {
            changed.forEach(Counters::touch);
            forgotten.addAll(forget);
            throw e;
        }
        if (!forget.isEmpty() || journal.segmentBytes() > Math.max(compactAbove, snapshotBytes)) {
            // A forgotten tenant's usage leaves the disk now, not at some later snapshot (tenant deletion is rare).
            compact();
        }
    }

    /** Writes every retained row to {@code usage.json} and drops the journal segments it covers; under the lock. */
    synchronized void compact() {
        long seq;
        try {
            seq = journal.roll();
        } catch (java.io.IOException e) {
            throw TenancyLog.storageFailure(e);
        }
        ObjectNode root = store.newDocument(seq);
        ArrayNode usage = root.putArray("usage");
        List<Map.Entry<TenantUid, ConcurrentHashMap<LocalDate, Counters>>> sorted = new ArrayList<>(tenants.entrySet());
        sorted.sort(Comparator.comparing(e -> e.getKey().value()));
        for (var tenant : sorted) {
            tenant.getValue().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(day -> row(usage.addObject(), tenant.getKey(), day.getValue().snapshot(day.getKey())));
        }
        // Rows that change meanwhile are dirty and go to the new segment, whose records replay on top of this.
        snapshotBytes = store.write(root, false);
        snapshotSeq = seq;
        try {
            journal.deleteThrough(seq);
        } catch (java.io.IOException e) {
            throw TenancyLog.storageFailure(e);
        }
    }

    private static void row(ObjectNode node, TenantUid tenant, DailyUsage u) {
        node.put("tenant", tenant.value())
                .put("day", u.day().toString())
                .put("invocations", u.invocations())
                .put("errors", u.errors())
                .put("throttles", u.throttles())
                .put("fuel", u.fuel());
    }

    private void prune() {
        LocalDate oldest = today().minusDays(UsageLedger.RETENTION_DAYS - 1L);
        tenants.values().forEach(days -> days.keySet().removeIf(day -> day.isBefore(oldest)));
        tenants.values().removeIf(Map::isEmpty);
    }

    private void clean() {
        tenants.values().forEach(days -> days.values().forEach(Counters::takeDirty));
    }

    private Counters counters(TenantUid tenant, LocalDate day) {
        return tenants.computeIfAbsent(tenant, t -> new ConcurrentHashMap<>()).computeIfAbsent(day, d -> new Counters());
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    private static final class Counters {
        final LongAdder invocations = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder throttles = new LongAdder();
        final LongAdder fuel = new LongAdder();
        /** Changed since the last flush; written after the adders, so a flush that clears it then reads them. */
        private volatile boolean dirty = true;

        void touch() {
            if (!dirty) {
                dirty = true;
            }
        }

        boolean takeDirty() {
            if (!dirty) {
                return false;
            }
            dirty = false;
            return true;
        }

        DailyUsage snapshot(LocalDate day) {
            return new DailyUsage(day, invocations.sum(), errors.sum(), throttles.sum(), fuel.sum());
        }
    }
}
