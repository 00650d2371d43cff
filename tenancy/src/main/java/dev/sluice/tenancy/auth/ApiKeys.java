package dev.sluice.tenancy.auth;

import dev.sluice.tenancy.TenancyException;

import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.TenantUid;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Issues, lists, rotates, revokes and verifies tenant API keys.
 *
 * <p>A key reads {@code sluice_sk_v2_<id>_<secret><checksum>}: a fixed prefix so a leaked key is recognisable (secret
 * scanners match {@code sluice_sk_v2_[0-9a-f]{16}_[A-Za-z0-9_-]{43}[0-9A-Za-z]{6}}), a 16-hex-digit id to look the key
 * up by, 256 random bits, and a CRC32 of the rest in 6 base62 digits, so a mistyped or forged key is refused without
 * reading any store. Keys issued before the checksum ({@code sluice_sk_<id>_<secret>}, and earlier
 * {@code sk_<id>_<secret>}) still verify, by a store read like any unknown key. Only a hash of the secret is stored;
 * comparison is constant-time. Thread-safe; writes are durable before they return. A revocation is effective for the
 * next {@link #verify} on the same store instance, and on every other instance sharing the store within one second.
 */
public interface ApiKeys {
    /**
     * @throws TenancyException.InvalidInput naming the field when the expiry is not in the future
     */
    IssuedKey issue(TenantUid tenant, KeySpec spec);

    /** A key with every scope for every function. */
    default IssuedKey issue(TenantUid tenant, String name, Optional<Instant> expiresAt) {
        return issue(tenant, KeySpec.named(name).expiringAt(expiresAt));
    }

    /** Metadata of the tenant's keys, oldest first. */
    List<KeyMetadata> list(TenantUid tenant);

    /**
     * Issues a replacement with the same name, scopes and function restriction, and has the old key expire after
     * {@code overlap} (or sooner, if it was going to expire sooner anyway), so clients can switch over.
     *
     * @param overlap   how long the old key keeps working; zero stops it now
     * @param expiresAt the replacement's expiry, if any
     * @return empty when the tenant has no such unexpired key
     * @throws TenancyException.InvalidInput when the overlap is negative or the expiry not in the future
     */
    Optional<Rotation> rotate(TenantUid tenant, String keyId, Duration overlap, Optional<Instant> expiresAt);

    /** @return whether the tenant had a key with this id */
    boolean revoke(TenantUid tenant, String keyId);

    /** Removes every key of the tenant (the tenant is being deleted). */
    void revokeAll(TenantUid tenant);

    /**
     * The key's metadata, including its scopes and function restriction for the caller to enforce, if the presented
     * key is well-formed, known, unrevoked and unexpired; empty otherwise, with no way for the caller to tell those
     * cases apart. The caller resolves the key's tenant with {@link TenantStore#find(TenantUid)}, so a key of a deleted
     * tenant (one whose removal failed, say) never authenticates a tenant created since under the same name. Records
     * the use (coarsely, see {@link KeyMetadata#lastUsedAt}) without waiting for any write.
     *
     * @throws TenancyException.StoreUnavailable when a shared store does not answer within its command timeout
     */
    Optional<KeyMetadata> verify(String presentedKey);

    /**
     * @param replacement the new key, secret included (shown once)
     * @param previous    the old key with its shortened expiry
     */
    record Rotation(IssuedKey replacement, KeyMetadata previous) {}
}
