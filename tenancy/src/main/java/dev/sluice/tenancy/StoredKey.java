package dev.sluice.tenancy;

/** A key as stored: its metadata and the SHA-256 of its secret part. */
record StoredKey(KeyMetadata metadata, byte[] secretHash) {
    StoredKey withMetadata(KeyMetadata next) {
        return new StoredKey(next, secretHash);
    }

    @Override
    public String toString() {
        return "StoredKey[" + metadata + "]";
    }
}
