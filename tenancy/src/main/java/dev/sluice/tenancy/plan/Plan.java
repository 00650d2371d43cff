package dev.sluice.tenancy.plan;

import dev.sluice.tenancy.TenancyException;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named bundle of limits that tenants subscribe to; a tenant's effective limits are its plan's with its own
 * overrides on top, resolved on every request, so a plan change reaches all its tenants at once.
 *
 * @param name   same rule as tenant ids: {@code [a-z0-9][a-z0-9-]{0,62}}
 * @param limits every field of the bundle
 */
public record Plan(String name, TenantLimits limits) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    public Plan {
        checkName(name);
        Objects.requireNonNull(limits, "limits");
    }

    /** @throws TenancyException.InvalidInput when the name breaks the plan-name rule */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new TenancyException.InvalidInput("plan: '" + name + "' (expected: [a-z0-9][a-z0-9-]{0,62})");
        }
        return name;
    }
}
