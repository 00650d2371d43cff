package dev.sluice.config.vault;

import java.time.Instant;
import java.util.Objects;

/**
 * One KV version 2 secret as read: where it is, which version, and its {@code data} object as JSON text (values may be
 * numbers, arrays or objects, as Terraform's {@code jsonencode} writes them; each reader parses with its own rules).
 *
 * @param path      relative to the mount, e.g. {@code sluice/plans/pro}
 * @param version   the KV version read (1, 2, ...)
 * @param createdAt when the secret's metadata was created (its first version since the last metadata delete)
 * @param dataJson  the {@code data.data} object, as JSON text
 */
public record KvEntry(String path, long version, Instant createdAt, String dataJson) {
    public KvEntry {
        Objects.requireNonNull(path, "path");
        if (version < 1) {
            throw new IllegalArgumentException("version: " + version + " (expected: >= 1)");
        }
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(dataJson, "dataJson");
    }

    /** Never the data: it may hold secrets. */
    @Override
    public String toString() {
        return "KvEntry[" + path + " v" + version + "]";
    }
}
