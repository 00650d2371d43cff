package dev.sluice.tenancy.managed;

import dev.sluice.tenancy.Tenant;
import java.util.Objects;

/**
 * A tenant declared outside Sluice. Its {@link Tenant#uid()} must be the same on every gateway and across restarts
 * (its functions, quotas and usage are keyed by it), so the source derives it from what it stores: Vault from the
 * path's metadata creation time, which changes only when the path is destroyed and written again.
 *
 * @param tenant the tenant as every reader sees it
 * @param source where it was declared, for messages
 */
public record DeclaredTenant(Tenant tenant, String source) {
    public DeclaredTenant {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(source, "source");
    }
}
