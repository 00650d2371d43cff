package dev.sluice.scheduler.shared;

import java.util.Optional;

/**
 * Module bytes by content digest ({@code sha256:<hex>}), shared by every gateway and worker. Redis implements it
 * here; an object store (S3 and the like) can implement it too: the contract needs only put-if-absent, get and
 * delete of immutable blobs. Readers verify bytes against their digest, so a store never needs to be trusted for
 * integrity, only for availability.
 */
public interface ModuleStore {
    /** Stores the bytes under their digest; storing the same digest again is a no-op. */
    void put(String digest, byte[] bytes);

    /** The bytes stored under the digest, if any (not yet verified). */
    Optional<byte[]> get(String digest);

    /** Removes the bytes; only called once no function anywhere refers to the digest. */
    void delete(String digest);
}
