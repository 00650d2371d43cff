package dev.sluice.tenancy.internal;

import dev.sluice.tenancy.auth.KeyMetadata;

/** A key as stored: its metadata and the SHA-256 of its secret part. */
public record StoredKey(KeyMetadata metadata, byte[] secretHash) {
    public StoredKey withMetadata(KeyMetadata next) {
        return new StoredKey(next, secretHash);
    }

    @Override
    public String toString() {
        return "StoredKey[" + metadata + "]";
    }
}
