package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.internal.StoredJson;
import dev.sluice.tenancy.quota.FuelDays;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.InstantSource;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * What each tenant used today of its day-scoped quotas ({@code invocations-day}, {@code fuel-day}): one counter per
 * tenant and quota for the current UTC day of the injected clock, started afresh at UTC midnight.
 *
 * <p><b>Durability.</b> Counting is in memory; {@link #flush} writes every counter of today to
 * {@code day-quotas.json} atomically (temporary file, fsync, rename), skipping the write when nothing changed. The
 * gateway flushes every few seconds and after its last invocation at shutdown, so a restart continues today's counts
 * and a crash (kill -9, power loss) gives back at most what was counted since the last flush. A snapshot rather than an
 * append-only log: the hot path stays one compare-and-set on an in-memory counter with no system call, and the file
 * holds one entry per tenant and quota, so there is nothing to compact or to replay. On open, a file that cannot be
 * read exactly fails with {@link TenancyException.StorageFailure} naming it: a damaged file never turns into a fresh
 * allowance. Counters of past days are dropped on open and at flush (their day is over).
 *
 * <p>Threading: counters are {@link AtomicLong}s in a {@link ConcurrentHashMap}; a day change replaces a tenant's
 * counter inside {@code compute}, so concurrent callers agree on one counter per day. {@link #flush} is serialized.
 */
public final class DayCounters {
    static final String FILE = "day-quotas.json";
    private static final Pattern QUOTA = Pattern.compile("[a-z][a-z0-9-]*");

    private final InstantSource clock;
    /** Where the counters persist; null for counters kept in memory only (the fail-open fallback of Redis quotas). */
    private final StoredJson store;
    private final ConcurrentHashMap<Key, Day> days = new ConcurrentHashMap<>();
    private byte[] lastWritten;

    private DayCounters(InstantSource clock, StoredJson store) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.store = store;
    }

    /** Counters that live as long as this process. */
    public static DayCounters inMemory(InstantSource clock) {
        return new DayCounters(clock, null);
    }

    /**
     * Counters persisted in {@code <dataDir>/day-quotas.json}, loading today's counts from it.
     *
     * @throws TenancyException.StorageFailure naming the file and what is wrong when it cannot be read exactly
     */
    public static DayCounters open(Path dataDir, InstantSource clock) {
        DayCounters counters = new DayCounters(clock, new StoredJson(dataDir.resolve(FILE)));
        counters.store.readArray("quotas").ifPresent(counters::load);
        return counters;
    }

    private void load(JsonNode entries) {
        LocalDate today = FuelDays.day(clock.instant());
        for (int i = 0; i < entries.size(); i++) {
            String path = "quotas[" + i + "]";
            ObjectNode entry = store.object(entries.get(i), path);
            TenantUid tenant = store.domain(path + ".tenant", () -> TenantUid.of(store.text(entry, "tenant", path)));
            String quota = store.text(entry, "quota", path);
            if (!QUOTA.matcher(quota).matches()) {
                throw store.corrupt(path + ".quota: '" + quota + "' (expected: kebab-case quota name)", null);
            }
            LocalDate day = store.domain(path + ".day", () -> LocalDate.parse(store.text(entry, "day", path)));
            long used = store.nonNegativeLong(entry, "used", path);
            if (day.isBefore(today)) {
                continue;
            }
            if (days.put(new Key(tenant, quota), new Day(day, used)) != null) {
                throw store.corrupt(path + ": tenant '" + tenant + "' quota '" + quota + "' appears more than once",
                        null);
            }
        }
    }

    /** The tenant's counter of {@code quota} for today; a counter of an earlier day is replaced by a fresh one. */
    Day today(TenantUid tenant, String quota) {
        LocalDate today = FuelDays.day(clock.instant());
        Key key = new Key(tenant, quota);
        Day day = days.get(key);
        if (day != null && !day.day.isBefore(today)) {
            return day;
        }
        return days.compute(key, (k, current) -> current != null && !current.day.isBefore(today)
                ? current : new Day(today, 0));
    }

    /** What the tenant used of {@code quota} today. */
    long used(TenantUid tenant, String quota) {
        Day day = days.get(new Key(tenant, quota));
        return day == null || day.day.isBefore(FuelDays.day(clock.instant())) ? 0 : day.used.get();
    }

    /** Forgets every counter of the tenant (the tenant was deleted). */
    void forget(TenantUid tenant) {
        days.keySet().removeIf(key -> key.tenant.equals(tenant));
    }

    /**
     * Writes today's counters atomically, when they changed since the last write; a no-op for in-memory counters.
     *
     * @throws TenancyException.StorageFailure when the file cannot be written (counting goes on; the next flush
     *                                         writes everything)
     */
    public synchronized void flush() {
        if (store == null) {
            return;
        }
        LocalDate today = FuelDays.day(clock.instant());
        days.entrySet().removeIf(e -> e.getValue().day.isBefore(today));
        List<Map.Entry<Key, Day>> sorted = new ArrayList<>(days.entrySet());
        sorted.sort(Comparator.<Map.Entry<Key, Day>, String>comparing(e -> e.getKey().tenant.value())
                .thenComparing(e -> e.getKey().quota));
        ObjectNode root = store.newDocument();
        ArrayNode quotas = root.putArray("quotas");
        for (Map.Entry<Key, Day> entry : sorted) {
            quotas.addObject()
                    .put("tenant", entry.getKey().tenant.value())
                    .put("quota", entry.getKey().quota)
                    .put("day", entry.getValue().day.toString())
                    .put("used", entry.getValue().used.get());
        }
        byte[] bytes = StoredJson.bytes(root);
        if (java.util.Arrays.equals(bytes, lastWritten)) {
            return;
        }
        store.write(bytes);
        lastWritten = bytes;
    }

    private record Key(TenantUid tenant, String quota) {}

    /** One tenant's use of one quota on one UTC day. */
    static final class Day {
        final LocalDate day;
        final AtomicLong used;

        Day(LocalDate day, long used) {
            this.day = day;
            this.used = new AtomicLong(used);
        }
    }
}
