package dev.sluice.tenancy;

import java.util.HexFormat;
import java.util.Objects;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * The internal identity of one creation of a tenant: its name and 128 random bits drawn when it was created, as
 * {@code <name>.<32 hex digits>}. Everything kept per tenant outside its record — keys, functions, quota counters,
 * leases, fuel, usage — is keyed by it, so a tenant deleted and created again under the same name starts with
 * nothing of the first one's, even where removing that state failed: it is not deleted then, only unreachable.
 *
 * <p>A tenant stored before identities existed has the bare name as its identity ({@link #legacy}): its state was
 * keyed by the name, and stays its own. Only a new creation draws random bits, and {@code .} is not allowed in names,
 * so the two forms never meet. The identity is for the provider (stores, logs, the admin API), never shown to the
 * tenant.
 */
public record TenantUid(String value) {
    private static final Pattern FORM = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}(\\.[0-9a-f]{32})?");

    public TenantUid {
        if (value == null || !FORM.matcher(value).matches()) {
            throw new TenancyException.InvalidInput("tenant uid: '" + value
                    + "' (expected: <tenant>.<32 hex digits> or <tenant>)");
        }
    }

    /** A fresh identity for a tenant being created now. */
    public static TenantUid create(TenantId name, RandomGenerator random) {
        Objects.requireNonNull(name, "name");
        byte[] bits = new byte[16];
        random.nextBytes(bits);
        return new TenantUid(name.value() + "." + HexFormat.of().formatHex(bits));
    }

    /**
     * The identity of a creation that an outside source declares (a tenant in Vault): the 128 bits are the first half
     * of the SHA-256 of {@code seed}, so every process that reads the same declaration derives the same identity.
     *
     * @param seed what changes only when the declared tenant is created anew (for Vault: the name and the path's
     *             metadata creation time)
     */
    public static TenantUid derive(TenantId name, String seed) {
        Objects.requireNonNull(name, "name");
        byte[] digest;
        try {
            digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(seed.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        return new TenantUid(name.value() + "." + HexFormat.of().formatHex(digest, 0, 16));
    }

    /** The identity of a tenant stored before identities existed: the name, which its state was keyed by. */
    public static TenantUid legacy(TenantId name) {
        return new TenantUid(name.value());
    }

    public static TenantUid of(String value) {
        return new TenantUid(value);
    }

    /** The tenant's name. */
    public TenantId name() {
        int dot = value.indexOf('.');
        return TenantId.of(dot < 0 ? value : value.substring(0, dot));
    }

    @Override
    public String toString() {
        return value;
    }
}
