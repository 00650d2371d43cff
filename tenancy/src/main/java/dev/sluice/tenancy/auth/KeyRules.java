package dev.sluice.tenancy.auth;

import dev.sluice.tenancy.TenancyException;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** The rules every {@link ApiKeys} store applies alike, whatever it keeps keys in. */
public final class KeyRules {
    /** How often a key's last use is recorded at most, per key and gateway. */
    public static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

    private KeyRules() {}

    public static void checkExpiry(Optional<Instant> expiresAt, Instant now) {
        Objects.requireNonNull(expiresAt, "expiresAt");
        expiresAt.ifPresent(e -> {
            if (!e.isAfter(now)) {
                throw new TenancyException.InvalidInput("expires-at: " + e + " (expected: after " + now + ")");
            }
        });
    }

    public static void checkOverlap(Duration overlap) {
        Objects.requireNonNull(overlap, "overlap");
        if (overlap.isNegative()) {
            throw new TenancyException.InvalidInput("overlap: " + overlap.toSeconds() + " s (expected: >= 0)");
        }
    }

    /** The rotated key's new expiry: now + overlap, unless it was due to expire sooner anyway. */
    public static Optional<Instant> overlapEnd(KeyMetadata old, Instant now, Duration overlap) {
        Instant end = now.plus(overlap);
        return Optional.of(old.expiresAt().filter(e -> e.isBefore(end)).orElse(end));
    }

    public static KeySpec replacementSpec(KeyMetadata old, Optional<Instant> expiresAt) {
        return new KeySpec(old.name(), old.scopes(), old.functions(), expiresAt);
    }
}
