package dev.sluice.loadtest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How evenly one load spread over many tenants was served: each tenant's p99 (and p50), ranked, with the median
 * tenant's and the worst tenant's side by side, the range of calls per tenant, and how many tenants saw errors. A
 * tenant's p99 is its own calls' 99th percentile: with fewer than 100 calls a tenant, it is that tenant's slowest
 * call, so the worst tenant's p99 is then the slowest call of the whole run.
 */
record TenantSpread(List<LoadResult> tenants) {
    TenantSpread {
        if (tenants.isEmpty()) {
            throw new IllegalArgumentException("tenants: none (expected: at least one)");
        }
        tenants = List.copyOf(tenants);
    }

    /** Tenants by p99, fastest first (tenants with no answered call count as 0). */
    List<LoadResult> byP99() {
        List<LoadResult> sorted = new ArrayList<>(tenants);
        sorted.sort(Comparator.comparingDouble(r -> r.millis(99)));
        return sorted;
    }

    LoadResult median() {
        List<LoadResult> sorted = byP99();
        return sorted.get((sorted.size() - 1) / 2);
    }

    LoadResult worst() {
        return byP99().getLast();
    }

    LoadResult best() {
        return byP99().getFirst();
    }

    long minCalls() {
        return tenants.stream().mapToLong(LoadResult::count).min().orElseThrow();
    }

    long maxCalls() {
        return tenants.stream().mapToLong(LoadResult::count).max().orElseThrow();
    }

    long tenantsWithErrors() {
        return tenants.stream().filter(r -> r.errorCount() > 0).count();
    }

    String describe() {
        LoadResult median = median();
        LoadResult worst = worst();
        return String.format("per-tenant spread over %d tenants (%d..%d calls each):%n"
                + "  p99 ms: best %.2f, median tenant %.2f, worst tenant %.2f (%s; its p50 %.2f), worst/median %.1fx%n"
                + "  p50 ms: median tenant %.2f; tenants with errors: %d", tenants.size(), minCalls(), maxCalls(),
                best().millis(99), median.millis(99), worst.millis(99), worst.name(), worst.millis(50),
                median.millis(99) > 0 ? worst.millis(99) / median.millis(99) : Double.NaN, median.millis(50),
                tenantsWithErrors());
    }

    /** For the results file: the summary, then every tenant's count, errors, p50 and p99. */
    Map<String, Object> json() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenants", tenants.size());
        out.put("calls-per-tenant-min", minCalls());
        out.put("calls-per-tenant-max", maxCalls());
        out.put("p99-ms-best", best().millis(99));
        out.put("p99-ms-median-tenant", median().millis(99));
        out.put("p99-ms-worst-tenant", worst().millis(99));
        out.put("worst-tenant", worst().name());
        out.put("tenants-with-errors", tenantsWithErrors());
        List<Map<String, Object>> each = new ArrayList<>();
        for (LoadResult r : tenants) {
            Map<String, Object> tenant = new LinkedHashMap<>();
            tenant.put("name", r.name());
            tenant.put("count", r.count());
            tenant.put("errors", r.errors());
            tenant.put("p50-ms", r.millis(50));
            tenant.put("p99-ms", r.millis(99));
            each.add(tenant);
        }
        out.put("per-tenant", each);
        return out;
    }
}
