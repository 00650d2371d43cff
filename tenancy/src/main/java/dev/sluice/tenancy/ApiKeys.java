package dev.sluice.tenancy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Issues, lists, revokes and verifies tenant API keys. Keys look like {@code sk_<id>_<secret>}; only a hash of the
 * secret is stored, looked up by the embedded id (no scan) and compared in constant time. Thread-safe; writes are
 * durable before they return, and a revocation is effective for the next {@link #verify} call.
 */
public interface ApiKeys {
    IssuedKey issue(TenantId tenant, String name, Optional<Instant> expiresAt);

    /** Metadata of the tenant's keys, oldest first. */
    List<KeyMetadata> list(TenantId tenant);

    /** @return whether the tenant had a key with this id */
    boolean revoke(TenantId tenant, String keyId);

    /** Removes every key of the tenant (the tenant is being deleted). */
    void revokeAll(TenantId tenant);

    /**
     * The key's metadata if the presented key is well-formed, known, unrevoked and unexpired; empty otherwise, with
     * no way for the caller to tell those cases apart.
     */
    Optional<KeyMetadata> verify(String presentedKey);
}
