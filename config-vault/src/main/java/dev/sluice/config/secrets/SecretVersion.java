package dev.sluice.config.secrets;

import java.time.Instant;
import java.util.Objects;

/** What may be shown about a secret: its name, version and when that version was written; never its value. */
public record SecretVersion(SecretName name, long version, Instant updatedAt) {
    public SecretVersion {
        Objects.requireNonNull(name, "name");
        if (version < 1) {
            throw new IllegalArgumentException("version: " + version + " (expected: >= 1)");
        }
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
