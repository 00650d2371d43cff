package dev.sluice.client;

import java.util.Optional;

/**
 * Where a function's assets appear to the guest (query {@code path} and {@code writable} of the assets upload; empty:
 * the server's default, {@value #DEFAULT_PATH} read-only). Writable: every invocation gets its own copy, in its
 * scratch space (docs/files.md). The server checks the path; this only spells the query.
 */
public record AssetsPlacement(Optional<String> path, boolean writable) {
    public static final String DEFAULT_PATH = "/assets";

    public AssetsPlacement {
        java.util.Objects.requireNonNull(path, "path");
    }

    String query() {
        StringBuilder query = new StringBuilder();
        path.ifPresent(p -> Http.param(query, "path", Http.query(p)));
        if (writable) {
            Http.param(query, "writable", "true");
        }
        return query.toString();
    }
}
