package dev.sluice.gateway.core;

import java.util.List;
import java.util.Objects;

/**
 * The quotas one request was counted against, in the order they were checked: what a protocol edge turns into its
 * rate-limit headers (over HTTP, {@code RateLimit-Policy} and {@code RateLimit}). A refusal carries the report up to
 * and including the quota that refused, an admitted request the whole of it. Immutable.
 */
public record QuotaReport(List<Item> items) {
    private static final QuotaReport NONE = new QuotaReport(List.of());

    public QuotaReport {
        items = List.copyOf(Objects.requireNonNull(items, "items"));
    }

    /**
     * One quota.
     *
     * @param unit          what the quota counts when not requests (e.g. {@code "concurrent-requests"}), or null
     * @param windowSeconds the quota's window, 0 when it has none (concurrency)
     * @param remaining     what is left after this request; may be negative where a backend overdraws
     * @param resetSeconds  when the quota is whole again, 0 when unknown
     */
    public record Item(String name, long quota, long windowSeconds, String unit, long remaining, long resetSeconds) {
        public Item {
            Objects.requireNonNull(name, "name");
        }
    }

    /** A request counted against no quota (refused before its tenant was known). */
    public static QuotaReport none() {
        return NONE;
    }

    public QuotaReport plus(Item item) {
        // One copy: List.of's list is immutable, so the constructor's List.copyOf keeps it as it is.
        Item[] more = items.toArray(new Item[items.size() + 1]);
        more[items.size()] = Objects.requireNonNull(item, "item");
        return new QuotaReport(List.of(more));
    }

    public boolean isEmpty() {
        return items.isEmpty();
    }
}
