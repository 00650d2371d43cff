package dev.sluice.tenancy.auth;

import dev.sluice.tenancy.TenantUid;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What may be shown about an API key: everything but the secret.
 *
 * @param tenant     the creation of the tenant the key was issued to: a key never outlives it, whatever happens to
 *                   the name
 *
 * @param scopes     what the key may be used for; never empty
 * @param functions  the functions the key may touch, when it is restricted; empty = all of the tenant's functions
 * @param lastUsedAt when the key last verified, coarsely: recorded at most once a minute per key and gateway, and
 *                   written to the store lazily, so it may lag real use by a minute (longer for file stores until
 *                   the next flush). {@link ApiKeys#verify} returns the value from before that call.
 */
public record KeyMetadata(String id, TenantUid tenant, String name, Instant createdAt, Optional<Instant> expiresAt,
                          Set<Scope> scopes, Optional<Set<String>> functions, Optional<Instant> lastUsedAt) {
    public KeyMetadata {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(lastUsedAt, "lastUsedAt");
        scopes = KeySpec.checkScopes(scopes);
        functions = KeySpec.checkFunctions(functions);
    }

    public boolean expiredAt(Instant now) {
        return expiresAt.map(e -> !now.isBefore(e)).orElse(false);
    }

    public boolean allows(Scope scope) {
        return scopes.contains(scope);
    }

    /** Whether the key may touch this function of its tenant. */
    public boolean allowsFunction(String function) {
        return functions.map(f -> f.contains(function)).orElse(true);
    }

    public KeyMetadata withExpiresAt(Optional<Instant> expiry) {
        return new KeyMetadata(id, tenant, name, createdAt, expiry, scopes, functions, lastUsedAt);
    }

    public KeyMetadata withLastUsedAt(Optional<Instant> lastUsed) {
        return lastUsed.equals(lastUsedAt) ? this
                : new KeyMetadata(id, tenant, name, createdAt, expiresAt, scopes, functions, lastUsed);
    }
}
