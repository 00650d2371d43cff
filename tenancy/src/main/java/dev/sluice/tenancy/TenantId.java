package dev.sluice.tenancy;

import java.util.regex.Pattern;

/** A tenant's name: the same rule as function names, so it is safe in paths, keys and log lines. */
public record TenantId(String value) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    public TenantId {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new TenancyException.InvalidInput(
                    "tenant: '" + value + "' (expected: [a-z0-9][a-z0-9-]{0,62})");
        }
    }

    public static TenantId of(String value) {
        return new TenantId(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
