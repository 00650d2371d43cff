package dev.sluice.tenancy;

import java.time.Instant;
import java.util.Optional;

/** What may be shown about an API key: everything but the secret. */
public record KeyMetadata(String id, TenantId tenant, String name, Instant createdAt, Optional<Instant> expiresAt) {
    public boolean expiredAt(Instant now) {
        return expiresAt.map(e -> !now.isBefore(e)).orElse(false);
    }
}
