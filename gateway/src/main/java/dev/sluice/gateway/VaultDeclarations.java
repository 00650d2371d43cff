package dev.sluice.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.config.VaultConfig;
import dev.sluice.config.live.ConfigListener;
import dev.sluice.config.vault.KvEntry;
import dev.sluice.config.vault.VaultLayout;
import dev.sluice.config.vault.VaultTree;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.KeyFormat;
import dev.sluice.tenancy.auth.KeySpec;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.managed.Declarations;
import dev.sluice.tenancy.managed.DeclaredKey;
import dev.sluice.tenancy.managed.DeclaredTenant;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.quota.FailPolicy;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Plans, tenants and API keys declared in Vault (written by Terraform's {@code vault_kv_secret_v2}, or
 * {@code vault kv put}), read from the tree {@link VaultLayout} describes, as tenancy {@link Declarations}:
 * <pre>
 *   plans/&lt;plan&gt;              limit keys as in the admin API's plan body ({@code requests-per-second}, ...,
 *                             {@code quota-fail-policy}); a key left out takes its {@code default-*} value, as a plan
 *                             created through the admin API does
 *   tenants/&lt;tenant&gt;          {@code "plan"} (optional) and limit overrides
 *   keys/&lt;tenant&gt;/&lt;key-id&gt;    {@code "name"}, {@code "sha256"} (64 hex digits: the SHA-256 of the secret's text),
 *                             {@code "scopes"} (default: every scope), {@code "functions"} (default: every function),
 *                             {@code "expires-at"} (RFC 3339; default: never)
 * </pre>
 * Values are read as Terraform's {@code jsonencode} writes them (numbers, arrays) and as {@code vault kv put} writes
 * them (strings): a number may be a string of digits, an array a comma-separated string. Anything else is refused:
 * an unknown member, a value of the wrong kind or out of range, a key of an undeclared tenant, a key id declared
 * twice. A refusal is a {@link ConfigException} whose message starts with {@code vault <mount>/<prefix>/<path>: }
 * and names the member, so the whole new set is refused and the one in force stays.
 *
 * <p>A declared tenant's uid ({@code <tenant>.<32 hex>}, which its functions, quotas and usage are keyed by) is
 * derived from its name and its path's metadata creation time, the first 128 bits of
 * {@code SHA-256("vault:" + name + ":" + createdAt)}: every gateway derives the same one, across restarts, and only a
 * tenant destroyed in Vault and written again (a new creation) gets a new one.
 *
 * <p>Paths Sluice does not read (a typo such as {@code plan/pro}, an upper-case name) are logged once as a warning and
 * ignored; {@code config} is the configuration's, {@code secrets/} the function secrets'.
 */
final class VaultDeclarations {
    private static final System.Logger LOG = System.getLogger(VaultDeclarations.class.getName());
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();
    private static final Set<String> TENANT_FIELDS = Set.of("plan");
    private static final Set<String> KEY_FIELDS = Set.of("name", "sha256", "scopes", "functions", "expires-at");

    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    private VaultDeclarations() {}

    /**
     * A listener that, on each candidate, reads the declarations of its tree and has {@code prepare} (the managed
     * tenancy's) check them whole; its refusal ({@link TenancyException.InvalidInput}) refuses the candidate.
     */
    static ConfigListener listener(Function<Declarations, Runnable> prepare) {
        VaultDeclarations reader = new VaultDeclarations();
        return candidate -> {
            Declarations next = reader.read(candidate.tree(), candidate.config());
            try {
                return prepare.apply(next);
            } catch (TenancyException.InvalidInput e) {
                String message = e.getMessage();
                throw new ConfigException(message.startsWith("vault ") ? message
                        : "vault " + folder(candidate.config().vault()) + ": " + message);
            }
        };
    }

    /** The declarations of {@code tree}; plans' omitted limits from {@code config}'s {@code default-*} keys. */
    static Declarations from(VaultTree tree, SluiceConfig config) {
        return new VaultDeclarations().read(tree, config);
    }

    private Declarations read(VaultTree tree, SluiceConfig config) {
        String folder = folder(config.vault());
        TenantLimits defaults = LimitsJson.defaults(config);
        List<Declarations.DeclaredPlan> plans = new ArrayList<>();
        List<DeclaredTenant> tenants = new ArrayList<>();
        List<DeclaredKey> keys = new ArrayList<>();
        Map<String, String> keySources = new HashMap<>();
        Set<String> declaredTenants = new TreeSet<>();
        List<Map.Entry<String, KvEntry>> keyEntries = new ArrayList<>();
        for (Map.Entry<String, KvEntry> e : tree.entries().entrySet()) {
            String path = e.getKey();
            String source = "vault " + folder + "/" + path;
            Optional<VaultLayout.Item> item = VaultLayout.classify(path);
            if (item.isEmpty()) {
                if (!path.startsWith(VaultLayout.SECRETS) && warned.add(path)) {
                    LOG.log(Level.WARNING, source + ": not a path Sluice reads (expected: config, plans/<plan>, "
                            + "tenants/<tenant> or keys/<tenant>/<16 hex key id>, names in [a-z0-9-]); ignored");
                }
                continue;
            }
            switch (item.get()) {
                case VaultLayout.Item.Config ignored -> { }
                case VaultLayout.Item.PlanItem p ->
                        plans.add(new Declarations.DeclaredPlan(plan(p.plan(), e.getValue(), defaults, source), source));
                case VaultLayout.Item.TenantItem t -> {
                    tenants.add(new DeclaredTenant(tenant(t.tenant(), e.getValue(), source), source));
                    declaredTenants.add(t.tenant());
                }
                case VaultLayout.Item.KeyItem k -> keyEntries.add(e);
            }
        }
        for (Map.Entry<String, KvEntry> e : keyEntries) {
            VaultLayout.Item.KeyItem item = (VaultLayout.Item.KeyItem) VaultLayout.classify(e.getKey()).orElseThrow();
            String source = "vault " + folder + "/" + e.getKey();
            if (!declaredTenants.contains(item.tenant())) {
                throw refused(source, "tenant: '" + item.tenant() + "' is not declared (expected: "
                        + folder + "/" + VaultLayout.TENANTS + item.tenant() + ")");
            }
            String other = keySources.putIfAbsent(item.keyId(), source);
            if (other != null) {
                throw refused(source, "key id " + item.keyId() + " is declared twice (also in " + other + ")");
            }
            keys.add(key(item, e.getValue(), source));
        }
        return new Declarations(plans, tenants, keys);
    }

    private static Plan plan(String name, KvEntry entry, TenantLimits defaults, String source) {
        ObjectNode body = object(entry, source);
        LimitOverrides limits = limits(body, Set.of(), source);
        try {
            return new Plan(name, defaults.with(limits));
        } catch (TenancyException.InvalidInput e) {
            throw refused(source, e.getMessage());
        }
    }

    private static Tenant tenant(String name, KvEntry entry, String source) {
        ObjectNode body = object(entry, source);
        Optional<String> plan = Optional.empty();
        JsonNode planField = body.get("plan");
        if (planField != null && !planField.isNull()) {
            if (!planField.isTextual()) {
                throw refused(source, "plan: " + shown(planField) + " (expected: a plan name)");
            }
            try {
                plan = Optional.of(Plan.checkName(planField.asText()));
            } catch (TenancyException.InvalidInput e) {
                throw refused(source, "plan: " + shown(planField) + " (expected: [a-z0-9][a-z0-9-]{0,62})");
            }
        }
        LimitOverrides overrides = limits(body, TENANT_FIELDS, source);
        TenantId id = TenantId.of(name);
        Instant created = entry.createdAt();
        return new Tenant(id, uid(id, created), plan, overrides, created, created);
    }

    /** The uid every gateway derives for a tenant declared at {@code createdAt}: see the class comment. */
    static TenantUid uid(TenantId name, Instant createdAt) {
        return TenantUid.derive(name, "vault:" + name.value() + ":" + createdAt);
    }

    private static DeclaredKey key(VaultLayout.Item.KeyItem item, KvEntry entry, String source) {
        ObjectNode body = object(entry, source);
        rejectUnknown(body, KEY_FIELDS, source);
        JsonNode name = body.get("name");
        if (name == null || name.isNull() || !name.isTextual()) {
            throw refused(source, "name: " + (name == null || name.isNull() ? "missing" : shown(name))
                    + " (expected: a string of 1 to " + KeySpec.MAX_NAME_LENGTH + " printable characters)");
        }
        byte[] hash = hash(body.get("sha256"), source);
        try {
            KeySpec spec = KeySpec.named(name.asText()).expiringAt(expiry(body.get("expires-at"), source));
            Optional<List<String>> scopes = strings(body.get("scopes"), "scopes", source);
            if (scopes.isPresent()) {
                Set<Scope> parsed = EnumSet.noneOf(Scope.class);
                scopes.get().forEach(s -> parsed.add(Scope.parse(s)));
                spec = spec.withScopes(parsed);
            }
            Optional<List<String>> functions = strings(body.get("functions"), "functions", source);
            if (functions.isPresent()) {
                spec = spec.withFunctions(new LinkedHashSet<>(functions.get()));
            }
            return new DeclaredKey(item.keyId(), TenantId.of(item.tenant()), hash, spec, entry.createdAt(), source);
        } catch (TenancyException.InvalidInput e) {
            throw refused(source, e.getMessage());
        }
    }

    private static byte[] hash(JsonNode field, String source) {
        String expected = " (expected: the SHA-256 of the key's secret, 64 hex digits, as Terraform's sha256() "
                + "writes it)";
        if (field == null || field.isNull()) {
            throw refused(source, "sha256: missing" + expected);
        }
        if (!field.isTextual()) {
            throw refused(source, "sha256: a " + field.getNodeType().toString().toLowerCase() + expected);
        }
        // Not echoed: a secret pasted here by mistake must not reach the log.
        String text = field.asText();
        byte[] hash = text.length() == 64 ? KeyFormat.parseHash(text) : null;
        if (hash == null) {
            throw refused(source, "sha256: " + text.length() + " characters, "
                    + (text.length() == 64 ? "not all hex digits" : "not 64") + expected);
        }
        return hash;
    }

    private static Optional<Instant> expiry(JsonNode field, String source) {
        if (field == null || field.isNull()) {
            return Optional.empty();
        }
        if (field.isTextual()) {
            try {
                return Optional.of(OffsetDateTime.parse(field.asText(), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                        .toInstant());
            } catch (DateTimeParseException ignored) {
                // reported below
            }
        }
        throw refused(source, "expires-at: " + shown(field)
                + " (expected: an RFC 3339 time like 2030-01-01T00:00:00Z)");
    }

    /** An array of strings, or one comma-separated string; empty when the member is absent or null. */
    private static Optional<List<String>> strings(JsonNode field, String name, String source) {
        if (field == null || field.isNull()) {
            return Optional.empty();
        }
        List<String> values = new ArrayList<>();
        if (field.isTextual()) {
            for (String part : field.asText().split(",", -1)) {
                values.add(part.strip());
            }
        } else if (field.isArray()) {
            for (JsonNode item : field) {
                if (!item.isTextual()) {
                    throw refused(source, name + ": " + shown(item) + " (expected: a string)");
                }
                values.add(item.asText());
            }
        } else {
            throw refused(source, name + ": " + shown(field) + " (expected: an array of strings)");
        }
        return Optional.of(values);
    }

    /**
     * The limit members of {@code body} as overrides, by the admin API's rules (an integer in the limit's range,
     * {@code quota-fail-policy} fail-open or fail-closed, {@code null} as if left out); members in {@code other} are
     * the caller's, any other member is refused.
     */
    private static LimitOverrides limits(ObjectNode body, Set<String> other, String source) {
        Map<Limit, Long> values = new EnumMap<>(Limit.class);
        Optional<FailPolicy> policy = Optional.empty();
        for (Map.Entry<String, JsonNode> field : body.properties()) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (other.contains(name) || value.isNull()) {
                continue;
            }
            if (name.equals(LimitOverrides.QUOTA_FAIL_POLICY)) {
                if (!value.isTextual()) {
                    throw refused(source, name + ": " + shown(value) + " (expected: fail-open or fail-closed)");
                }
                try {
                    policy = Optional.of(FailPolicy.parse(value.asText()));
                } catch (TenancyException.InvalidInput e) {
                    throw refused(source, name + ": " + shown(value) + " (expected: fail-open or fail-closed)");
                }
                continue;
            }
            Optional<Limit> limit = Limit.find(name);
            if (limit.isEmpty()) {
                throw unknown(name, other, source);
            }
            try {
                values.put(limit.get(), limit.get().validate(integer(name, value, source)));
            } catch (TenancyException.InvalidInput e) {
                throw refused(source, e.getMessage());
            }
        }
        return new LimitOverrides(values, policy);
    }

    private static long integer(String name, JsonNode value, String source) {
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            return value.asLong();
        }
        if (value.isTextual() && value.asText().matches("-?[0-9]{1,18}")) {
            return Long.parseLong(value.asText());
        }
        throw refused(source, name + ": " + shown(value) + " (expected: an integer)");
    }

    private static void rejectUnknown(ObjectNode body, Set<String> known, String source) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!known.contains(field)) {
                throw refused(source, "unknown field '" + AdminService.safe(field) + "' (expected one of: "
                        + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }

    private static ConfigException unknown(String name, Set<String> other, String source) {
        Set<String> known = new TreeSet<>(other);
        known.addAll(LimitsJson.keys());
        return refused(source, "unknown field '" + AdminService.safe(name) + "' (expected one of: "
                + String.join(", ", known) + ")");
    }

    private static ObjectNode object(KvEntry entry, String source) {
        JsonNode node;
        try {
            node = JSON.readTree(entry.dataJson());
        } catch (JsonProcessingException e) {
            throw refused(source, "data is not valid JSON (" + AdminService.safe(e.getOriginalMessage().lines()
                    .findFirst().orElse("unreadable")) + ")");
        }
        if (!(node instanceof ObjectNode object)) {
            throw refused(source, "data is not a JSON object");
        }
        return object;
    }

    /** A value for a message, bounded and printable (it comes from Vault, written by anyone with access). */
    private static String shown(JsonNode value) {
        return AdminService.safe(value.toString());
    }

    private static ConfigException refused(String source, String message) {
        return new ConfigException(source + ": " + message);
    }

    /** {@code <mount>/<prefix>}, as paths are shown. */
    static String folder(VaultConfig vault) {
        return vault.mount() + "/" + vault.prefix();
    }

}
