package dev.sluice.tenancy.auth;

/** A freshly issued key: the only moment the secret exists outside the client. */
public record IssuedKey(KeyMetadata metadata, String secret) {
    @Override
    public String toString() {
        return "IssuedKey[" + metadata + ", secret=<redacted>]";
    }
}
