package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.internal.StoredJson;
import dev.sluice.tenancy.usage.DailyUsage;
import dev.sluice.tenancy.usage.UsageLedger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Usage counters in process memory, written to {@code usage.json} by {@link #flush} (the gateway flushes every few
 * seconds and at shutdown), so a crash loses at most the last interval. Days older than {@link UsageLedger#RETENTION_DAYS} are
 * dropped at flush. Recording is lock-free (adders per tenant and day); flush and load take the file's lock.
 */
public final class LocalUsageLedger implements UsageLedger {
    private static final String FILE = "usage.json";

    private final InstantSource clock;
    private final StoredJson store;
    private final ConcurrentHashMap<TenantUid, ConcurrentHashMap<LocalDate, Counters>> tenants =
            new ConcurrentHashMap<>();

    private LocalUsageLedger(InstantSource clock, StoredJson store) {
        this.clock = clock;
        this.store = store;
    }

    public static LocalUsageLedger open(java.nio.file.Path dataDir, InstantSource clock) {
        LocalUsageLedger ledger = new LocalUsageLedger(clock, new StoredJson(dataDir.resolve(FILE)));
        ledger.store.readArray("usage").ifPresent(ledger::load);
        return ledger;
    }

    private void load(JsonNode entries) {
        for (int i = 0; i < entries.size(); i++) {
            String path = "usage[" + i + "]";
            ObjectNode entry = store.object(entries.get(i), path);
            TenantUid tenant = store.domain(path + ".tenant", () -> TenantUid.of(store.text(entry, "tenant", path)));
            LocalDate day = store.domain(path + ".day", () -> LocalDate.parse(store.text(entry, "day", path)));
            Counters counters = counters(tenant, day);
            counters.invocations.add(store.nonNegativeLong(entry, "invocations", path));
            counters.errors.add(store.nonNegativeLong(entry, "errors", path));
            counters.throttles.add(store.nonNegativeLong(entry, "throttles", path));
            counters.fuel.add(store.nonNegativeLong(entry, "fuel", path));
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
    }

    @Override
    public void throttled(TenantUid tenant) {
        counters(tenant, today()).throttles.increment();
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

    @Override
    public void forget(TenantUid tenant) {
        tenants.remove(tenant);
    }

    /** Writes every tenant's counters of the retained days, atomically. */
    public synchronized void flush() {
        LocalDate oldest = today().minusDays(UsageLedger.RETENTION_DAYS - 1L);
        ObjectNode root = store.newDocument();
        ArrayNode usage = root.putArray("usage");
        List<Map.Entry<TenantUid, ConcurrentHashMap<LocalDate, Counters>>> sorted = new ArrayList<>(tenants.entrySet());
        sorted.sort(Comparator.comparing(e -> e.getKey().value()));
        for (var tenant : sorted) {
            tenant.getValue().keySet().removeIf(day -> day.isBefore(oldest));
            tenant.getValue().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(day -> {
                DailyUsage u = day.getValue().snapshot(day.getKey());
                usage.addObject()
                        .put("tenant", tenant.getKey().value())
                        .put("day", u.day().toString())
                        .put("invocations", u.invocations())
                        .put("errors", u.errors())
                        .put("throttles", u.throttles())
                        .put("fuel", u.fuel());
            });
        }
        store.write(root, false);
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

        DailyUsage snapshot(LocalDate day) {
            return new DailyUsage(day, invocations.sum(), errors.sum(), throttles.sum(), fuel.sum());
        }
    }
}
