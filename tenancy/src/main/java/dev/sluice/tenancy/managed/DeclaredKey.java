package dev.sluice.tenancy.managed;

import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.auth.KeyFormat;
import dev.sluice.tenancy.auth.KeySpec;
import java.time.Instant;
import java.util.Objects;

/**
 * An API key declared outside Sluice: its id, the SHA-256 of its secret (Terraform makes the secret and its hash; no
 * clear secret is stored anywhere Sluice reads), and what it may do. A client presents it as
 * {@code sluice_sk_<id>_<secret>} (the shape without checksum: Terraform cannot compute one).
 *
 * @param id         16 lowercase hex digits
 * @param tenant     the declared tenant it belongs to
 * @param secretHash 32 bytes
 * @param spec       name, scopes, functions, expiry
 * @param createdAt  when it was declared (the path's metadata creation time)
 * @param source     where it was declared, for messages
 */
public record DeclaredKey(String id, TenantId tenant, byte[] secretHash, KeySpec spec, Instant createdAt,
                          String source) {
    public DeclaredKey {
        if (id == null || !KeyFormat.ID.matcher(id).matches()) {
            throw new dev.sluice.tenancy.TenancyException.InvalidInput("key id: '" + id
                    + "' (expected: 16 lowercase hex digits)");
        }
        Objects.requireNonNull(tenant, "tenant");
        if (secretHash == null || secretHash.length != 32) {
            throw new dev.sluice.tenancy.TenancyException.InvalidInput("sha256: "
                    + (secretHash == null ? "missing" : secretHash.length + " bytes")
                    + " (expected: the SHA-256 of the key's secret, 64 hex digits)");
        }
        secretHash = secretHash.clone();
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(source, "source");
    }

    @Override
    public byte[] secretHash() {
        return secretHash.clone();
    }
}
