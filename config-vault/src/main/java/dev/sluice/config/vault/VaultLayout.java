package dev.sluice.config.vault;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where things live in Sluice's Vault folder ({@code <vault-mount>/<vault-prefix>/}, {@code secret/sluice/} by
 * default), the one place that knows the layout (docs/vault.md shows it; the Terraform example writes it):
 * <pre>
 *   config                              configuration keys, as in the file: {"default-burst": "40", ...}
 *   plans/&lt;plan&gt;                        a plan: limit keys as in the admin API
 *   tenants/&lt;tenant&gt;                    a tenant: "plan" and limit overrides
 *   keys/&lt;tenant&gt;/&lt;key-id&gt;              an API key: "name", "sha256", "scopes", "functions", "expires-at"
 *   secrets/&lt;tenant-uid&gt;/&lt;function&gt;/&lt;NAME&gt;  a function secret: "value" (written by Sluice's API only)
 * </pre>
 * Paths here are relative to the folder.
 */
public final class VaultLayout {
    public static final String CONFIG = "config";
    public static final String PLANS = "plans/";
    public static final String TENANTS = "tenants/";
    public static final String KEYS = "keys/";
    public static final String SECRETS = "secrets/";

    private static final String NAME = "[a-z0-9][a-z0-9-]{0,62}";
    private static final Pattern PLAN = Pattern.compile("plans/(" + NAME + ")");
    private static final Pattern TENANT = Pattern.compile("tenants/(" + NAME + ")");
    private static final Pattern KEY = Pattern.compile("keys/(" + NAME + ")/([0-9a-f]{16})");

    private VaultLayout() {}

    /** What a path of the tree declares. */
    public sealed interface Item {
        record Config() implements Item {}

        record PlanItem(String plan) implements Item {}

        record TenantItem(String tenant) implements Item {}

        record KeyItem(String tenant, String keyId) implements Item {}
    }

    /** What {@code path} declares, or empty when it is not a path Sluice reads (a typo, say: worth a warning). */
    public static Optional<Item> classify(String path) {
        if (path.equals(CONFIG)) {
            return Optional.of(new Item.Config());
        }
        Matcher m = PLAN.matcher(path);
        if (m.matches()) {
            return Optional.of(new Item.PlanItem(m.group(1)));
        }
        m = TENANT.matcher(path);
        if (m.matches()) {
            return Optional.of(new Item.TenantItem(m.group(1)));
        }
        m = KEY.matcher(path);
        if (m.matches()) {
            return Optional.of(new Item.KeyItem(m.group(1), m.group(2)));
        }
        return Optional.empty();
    }

    /** The folder of one function's secrets, relative to Sluice's folder. */
    public static String secretsOf(String tenantUid, String function) {
        return SECRETS + tenantUid + "/" + function + "/";
    }
}
