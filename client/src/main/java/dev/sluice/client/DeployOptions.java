package dev.sluice.client;

import java.util.OptionalLong;

/** A deploy's optional settings (query {@code memory-pages}, {@code timeout-ms}, {@code fuel}); empty: the tenant's. */
public record DeployOptions(OptionalLong memoryPages, OptionalLong timeoutMs, OptionalLong fuel) {
    public DeployOptions {
        positive("memory-pages", memoryPages);
        positive("timeout-ms", timeoutMs);
        positive("fuel", fuel);
    }

    public static DeployOptions none() {
        return new DeployOptions(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());
    }

    public DeployOptions withMemoryPages(long pages) {
        return new DeployOptions(OptionalLong.of(pages), timeoutMs, fuel);
    }

    public DeployOptions withTimeoutMs(long ms) {
        return new DeployOptions(memoryPages, OptionalLong.of(ms), fuel);
    }

    public DeployOptions withFuel(long units) {
        return new DeployOptions(memoryPages, timeoutMs, OptionalLong.of(units));
    }

    String query() {
        StringBuilder query = new StringBuilder();
        memoryPages.ifPresent(v -> Http.param(query, "memory-pages", Long.toString(v)));
        timeoutMs.ifPresent(v -> Http.param(query, "timeout-ms", Long.toString(v)));
        fuel.ifPresent(v -> Http.param(query, "fuel", Long.toString(v)));
        return query.toString();
    }

    private static void positive(String name, OptionalLong value) {
        if (value.isPresent() && value.getAsLong() <= 0) {
            throw new IllegalArgumentException(name + ": " + value.getAsLong() + " (expected: > 0)");
        }
    }
}
