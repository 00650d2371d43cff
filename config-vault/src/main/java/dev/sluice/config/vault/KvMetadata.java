package dev.sluice.config.vault;

import java.time.Instant;
import java.util.Objects;

/**
 * A KV version 2 secret's metadata, which holds no data: what a poll or a listing of function secrets needs.
 *
 * @param path           relative to the mount
 * @param currentVersion the newest version written (1, 2, ...)
 * @param currentLive    whether that version can be read (not deleted, not destroyed)
 * @param createdAt      when the secret was created (its first version since the last metadata delete)
 * @param updatedAt      when the newest version was written
 */
public record KvMetadata(String path, long currentVersion, boolean currentLive, Instant createdAt, Instant updatedAt) {
    public KvMetadata {
        Objects.requireNonNull(path, "path");
        if (currentVersion < 1) {
            throw new IllegalArgumentException("currentVersion: " + currentVersion + " (expected: >= 1)");
        }
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
