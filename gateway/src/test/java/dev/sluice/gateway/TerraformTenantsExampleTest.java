package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.SluiceConfig;
import dev.sluice.config.VaultConfig;
import dev.sluice.config.vault.VaultLayout;
import dev.sluice.config.vault.VaultLayout.Item;
import dev.sluice.tenancy.auth.KeyFormat;
import dev.sluice.tenancy.auth.KeySpec;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.quota.FailPolicy;
import dev.sluice.tenancy.testing.Hcl2Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the worked Terraform example in {@code deploy/terraform/tenants/}, and the Vault policy in
 * {@code docs/vault.md}, against what Sluice reads. The files are parsed by HashiCorp's own HCL parser
 * ({@code @cdktf/hcl2json} from npm, run by Node.js; installed by tenancy's {@link Hcl2Json} under
 * {@code target/hcl2json} on first use, offline from npm's cache once fetched); the evaluation here is deliberately
 * small: each Vault path's template is compared with the one Sluice's layout expects, then filled in with the
 * variables' defaults and classified by {@link VaultLayout}; each JSON key written is taken from the object literals
 * of the {@code data_json} expression and from the variable values it passes whole.
 */
class TerraformTenantsExampleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Each Vault path the example writes, as Sluice's layout has it (relative to the mount). */
    private static final Map<String, String> NAMES = Map.of(
            "plan", "${var.prefix}/plans/${each.key}",
            "tenant", "${var.prefix}/tenants/${each.key}",
            "key", "${var.prefix}/keys/${each.value.tenant}/${random_id.key[each.key].hex}",
            "config", "${var.prefix}/config");

    private static Path root;
    private static Map<String, JsonNode> variables;
    private static ObjectNode locals;
    private static ObjectNode resources;
    private static ObjectNode outputs;
    private static ObjectNode dataJson;
    private static JsonNode policy;

    @BeforeAll
    static void parseTheExample() throws Exception {
        root = repository();
        Path example = root.resolve("deploy/terraform/tenants");
        List<Path> files;
        try (Stream<Path> list = Files.list(example)) {
            files = list.filter(p -> p.toString().endsWith(".tf")).sorted().toList();
        }
        assertEquals(Set.of("main.tf", "outputs.tf", "variables.tf", "versions.tf"),
                files.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
        Hcl2Json hcl = Hcl2Json.install();
        Path policyFile = hcl.work().resolve("sluice-policy.hcl");
        Files.writeString(policyFile, policyBlock());
        List<Path> all = new ArrayList<>(files);
        all.add(policyFile);
        JsonNode parsed = hcl.script(TerraformTenantsExampleTest.class, "/hcl2json/summarize.js", all);

        variables = new LinkedHashMap<>();
        locals = JSON.createObjectNode();
        resources = JSON.createObjectNode();
        outputs = JSON.createObjectNode();
        dataJson = JSON.createObjectNode();
        for (Path file : files) {
            JsonNode one = parsed.get(file.toString());
            JsonNode json = one.get("json");
            json.path("variable").properties().forEach(e -> variables.put(e.getKey(), e.getValue().get(0)));
            json.path("locals").forEach(block -> locals.setAll((ObjectNode) block));
            json.path("resource").properties().forEach(e -> resources.set(e.getKey(), e.getValue()));
            json.path("output").properties().forEach(e -> outputs.set(e.getKey(), e.getValue().get(0)));
            one.get("dataJson").properties().forEach(e -> dataJson.set(e.getKey(), e.getValue()));
        }
        policy = parsed.get(policyFile.toString()).get("json");
    }

    @Test
    void everyVaultPathTheExampleWritesIsOneSluiceReads() {
        JsonNode kv = resources.get("vault_kv_secret_v2");
        assertEquals(NAMES.keySet(), names(kv), "the example's Vault writes, each checked here");
        VaultConfig defaults = SluiceConfig.defaults().vault();
        assertEquals(defaults.mount(), defaultOf("mount").asText(), "var.mount defaults to Sluice's vault-mount");
        assertEquals(defaults.prefix(), defaultOf("prefix").asText(), "var.prefix defaults to Sluice's vault-prefix");
        String prefix = defaultOf("prefix").asText();
        NAMES.forEach((resource, template) -> {
            JsonNode block = kv.get(resource).get(0);
            assertEquals("${var.mount}", block.get("mount").asText(), resource + ": mount");
            assertEquals(template, block.get("name").asText(), resource + ": name");
            assertTrue(block.path("delete_all_versions").asBoolean(),
                    resource + ": a removed object must leave no path behind (delete_all_versions = true)");
        });
        assertEquals("${var.plans}", kv.get("plan").get(0).get("for_each").asText());
        assertEquals("${var.tenants}", kv.get("tenant").get(0).get("for_each").asText());
        assertEquals("${local.keys}", kv.get("key").get(0).get("for_each").asText());
        assertEquals("${length(var.config) > 0 ? 1 : 0}", kv.get("config").get(0).get("count").asText());
        // local.keys: one entry per (tenant, key name), each.value.tenant the tenant's name.
        assertEquals("${merge([ for tenant, t in var.tenants : { for name, k in t.keys : \"${tenant}/${name}\" => "
                + "merge(k, { tenant = tenant, name = name }) } ]...)}", flat(locals.get("keys").asText()));
        assertEquals(8, resources.get("random_id").get("key").get(0).get("byte_length").asInt(),
                "a key id is 8 random bytes: 16 hex digits");
        assertEquals("${local.keys}", resources.get("random_id").get("key").get(0).get("for_each").asText());

        Map<String, Item> written = new LinkedHashMap<>();
        defaultOf("plans").fieldNames().forEachRemaining(plan -> written.put(
                fill(NAMES.get("plan"), Map.of("${var.prefix}", prefix, "${each.key}", plan)),
                new Item.PlanItem(plan)));
        defaultOf("tenants").properties().forEach(tenant -> {
            written.put(fill(NAMES.get("tenant"), Map.of("${var.prefix}", prefix, "${each.key}", tenant.getKey())),
                    new Item.TenantItem(tenant.getKey()));
            tenant.getValue().path("keys").fieldNames().forEachRemaining(name -> {
                String id = KeyFormat.newId(new SecureRandom());
                written.put(fill(NAMES.get("key"), Map.of("${var.prefix}", prefix, "${each.value.tenant}",
                        tenant.getKey(), "${random_id.key[each.key].hex}", id)),
                        new Item.KeyItem(tenant.getKey(), id));
            });
        });
        assertTrue(defaultOf("config").size() > 0, "the example writes a config path");
        written.put(fill(NAMES.get("config"), Map.of("${var.prefix}", prefix)), new Item.Config());
        assertEquals(2 + 2 + 3 + 1, written.size(), "the example's objects: " + written.keySet());
        written.forEach((path, item) -> {
            assertTrue(path.startsWith(prefix + "/"), path);
            assertEquals(Optional.of(item), VaultLayout.classify(path.substring(prefix.length() + 1)), path);
        });
    }

    @Test
    void everyJsonKeyTheExampleWritesIsOneSluiceAccepts() {
        Set<String> limits = LimitsJson.keys();
        Set<String> config = new TreeSet<>(SluiceConfig.KEYS);
        config.removeAll(SluiceConfig.BOOTSTRAP_KEYS);
        Map<String, Set<String>> accepted = Map.of(
                "plan", limits,
                "tenant", union(limits, Set.of("plan")),
                "key", Set.of("name", "sha256", "scopes", "functions", "expires-at"),
                "config", config);
        for (String resource : NAMES.keySet()) {
            JsonNode summary = dataJson.get(resource);
            assertFalse(summary.has("error"), () -> summary.get("error").asText());
            Set<String> written = new TreeSet<>();
            summary.get("objectKeys").forEach(k -> written.add(k.asText()));
            for (JsonNode spread : summary.get("spreads")) {
                written.addAll(spreadKeys(resource, spread.asText()));
            }
            Set<String> unknown = new TreeSet<>(written);
            unknown.removeAll(accepted.get(resource));
            assertEquals(Set.of(), unknown, resource + ": keys Sluice does not accept (writes " + written + ")");
            assertFalse(written.isEmpty(), resource);
        }
        Set<String> keyFields = new HashSet<>();
        dataJson.get("key").get("objectKeys").forEach(k -> keyFields.add(k.asText()));
        assertTrue(keyFields.containsAll(Set.of("name", "sha256", "scopes")), "a key's required fields: " + keyFields);
    }

    @Test
    void theExampleValuesAreOnesSluiceTakes() {
        assertEquals(Arrays.stream(Limit.values()).map(Limit::key).toList(), texts(locals.get("limit_keys")),
                "local.limit_keys (Terraform's own check) is Sluice's list of limits");
        assertEquals(Arrays.stream(Scope.values()).map(Scope::text).toList(), texts(locals.get("scopes")));
        assertEquals(Arrays.stream(FailPolicy.values()).map(FailPolicy::text).collect(Collectors.toSet()),
                new HashSet<>(texts(locals.get("fail_policies"))));
        JsonNode plans = defaultOf("plans");
        plans.properties().forEach(plan -> {
            checkLimits("plan " + plan.getKey(), plan.getValue());
        });
        defaultOf("tenants").properties().forEach(tenant -> {
            String where = "tenant " + tenant.getKey();
            checkLimits(where, tenant.getValue());
            JsonNode plan = tenant.getValue().get("plan");
            assertTrue(plan == null || plans.has(plan.asText()), where + ": plan " + plan + " is declared");
            tenant.getValue().path("keys").properties().forEach(key -> {
                JsonNode k = key.getValue();
                Set<Scope> scopes = new HashSet<>();
                k.path("scopes").forEach(s -> scopes.add(Scope.parse(s.asText())));
                Optional<Set<String>> functions = k.has("functions")
                        ? Optional.of(new HashSet<>(texts(k.get("functions")))) : Optional.empty();
                Optional<Instant> expiry = k.has("expires_at")
                        ? Optional.of(Instant.parse(k.get("expires_at").asText())) : Optional.empty();
                new KeySpec(key.getKey(), scopes.isEmpty() ? Set.of(Scope.INVOKE) : scopes, functions, expiry);
            });
        });
        Map<String, String> config = new LinkedHashMap<>();
        defaultOf("config").properties().forEach(e -> {
            assertTrue(e.getValue().isTextual(), e.getKey() + ": values are text, as in the file");
            config.put(e.getKey(), e.getValue().asText());
        });
        SluiceConfig.defaults().with(config); // throws naming the key when a value is not one Sluice takes
    }

    /**
     * Review r2 #3: Sluice applies the tree whole, so one value it refuses holds every change back (and at start keeps
     * the gateway unready). Each such value must fail {@code terraform plan} instead: names, a key's functions and
     * expiry (variable validations), each limit's range and wholeness (preconditions over {@code local.limit_ranges}).
     * The rules are taken from the parsed files and run here against Sluice's own checks.
     */
    @Test
    void theExampleRefusesAtPlanTimeEachValueSluiceWouldRefuse() {
        List<String> plans = conditions(variables.get("plans").path("validation"));
        List<String> tenants = conditions(variables.get("tenants").path("validation"));
        String nameRule = ruleIn(plans, "keys(var.plans)");
        assertEquals(nameRule, ruleIn(tenants, "keys(var.tenants)"), "tenant names: the same rule as plans");
        assertEquals(nameRule, ruleIn(tenants, "t.plan"), "a tenant's plan: a plan's name");
        String functionRule = ruleIn(tenants, "k.functions");
        assertEquals(nameRule, functionRule, "a key's functions: function names");
        String functions = only(tenants, "k.functions");
        assertTrue(functions.contains(">= 1") && functions.contains("<= " + KeySpec.MAX_FUNCTIONS),
                "functions = [] (or over 100) is refused: " + functions);
        assertTrue(only(tenants, "length(name)").contains("<= " + KeySpec.MAX_NAME_LENGTH), "a key's name length");
        String expiry = only(tenants, "k.expires_at");
        assertTrue(expiry.contains("formatdate("), "expires_at must also be a date Terraform can read: " + expiry);
        Pattern names = Pattern.compile(nameRule);
        for (String name : List.of("acme", "a", "0", "a-b-1", "x".repeat(63), "x".repeat(64), "-a", "Acme", "a_b",
                "a.b", "", "\u00e4")) {
            assertEquals(accepts(() -> new dev.sluice.tenancy.TenantId(name)), names.matcher(name).matches(),
                    "name '" + name + "': Terraform's rule and Sluice's agree");
        }
        Pattern rfc3339 = Pattern.compile(ruleIn(tenants, "k.expires_at"));
        for (String time : List.of("2027-06-30T00:00:00Z", "2027-06-30T00:00:00.123456789+02:00",
                "2027-06-30T23:59:59-05:30")) {
            assertTrue(rfc3339.matcher(time).matches(), time);
            java.time.OffsetDateTime.parse(time, java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        }
        for (String time : List.of("2027-06-30", "2027-06-30 00:00:00Z", "2027-06-30T00:00Z", "1719705600",
                "2027-06-30T00:00:00")) {
            assertFalse(rfc3339.matcher(time).matches(), time + " is refused by Terraform");
        }

        JsonNode ranges = locals.get("limit_ranges");
        assertEquals(Arrays.stream(Limit.values()).map(Limit::key).collect(Collectors.toSet()), names(ranges),
                "local.limit_ranges covers every limit");
        for (Limit limit : Limit.values()) {
            JsonNode range = ranges.get(limit.key());
            assertEquals(List.of(limit.min(), limit.max()), List.of(range.get(0).asLong(), range.get(1).asLong()),
                    limit.key() + ": the range Sluice accepts");
        }
        for (String resource : List.of("plan", "tenant")) {
            List<String> preconditions = conditions(resources.get("vault_kv_secret_v2").get(resource).get(0)
                    .get("lifecycle").get(0).path("precondition"));
            String check = only(preconditions, "local.limit_ranges");
            for (String part : List.of("each.value.limits", "floor(v) == v", "v >= lookup(local.limit_ranges, k",
                    "v <= lookup(local.limit_ranges, k")) {
                assertTrue(check.contains(part), resource + ": each limit is a whole number in range: " + check);
            }
        }
    }

    /** The conditions of a list of validation or precondition blocks, as source text. */
    private static List<String> conditions(JsonNode blocks) {
        List<String> all = new ArrayList<>();
        blocks.forEach(b -> all.add(flat(b.get("condition").asText())));
        assertFalse(all.isEmpty(), "no validation or precondition block");
        return all;
    }

    /** The one condition that mentions {@code mark}. */
    private static String only(List<String> conditions, String mark) {
        List<String> found = conditions.stream().filter(c -> c.contains(mark)).toList();
        assertEquals(1, found.size(), "one condition checks " + mark + ": " + conditions);
        return found.get(0);
    }

    /** The regular expression of the {@code regex("...")} call in the one condition mentioning {@code mark}. */
    private static String ruleIn(List<String> conditions, String mark) {
        Matcher m = Pattern.compile("regex\\(\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(only(conditions, mark));
        assertTrue(m.find(), "a regex() in the condition on " + mark);
        return m.group(1).replace("\\\\", "\\");
    }

    private static boolean accepts(Runnable check) {
        try {
            check.run();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Test
    void noClearSecretIsWrittenToVault() {
        for (String resource : NAMES.keySet()) {
            for (JsonNode ref : dataJson.get(resource).get("references")) {
                String accessor = ref.get("accessor").asText();
                if (accessor.startsWith("local.key_secrets") || accessor.startsWith("random_bytes.")) {
                    assertTrue(texts(ref.get("within")).contains("sha256"),
                            resource + ": " + accessor + " reaches data_json only through sha256()");
                }
            }
            for (JsonNode spread : dataJson.get(resource).get("spreads")) {
                assertFalse(spread.asText().contains("secret"), resource + ": " + spread);
            }
            assertFalse(resources.get("vault_kv_secret_v2").get(resource).get(0).get("name").asText()
                    .contains("key_secrets"), resource);
        }
        List<String> hashed = new ArrayList<>();
        for (JsonNode ref : dataJson.get("key").get("references")) {
            if (texts(ref.get("within")).contains("sha256")) {
                hashed.add(ref.get("accessor").asText());
            }
        }
        assertEquals(List.of("local.key_secrets[each.key]"), hashed, "the key's sha256 is of its own secret");
        assertEquals(32, resources.get("random_bytes").get("key_secret").get(0).get("length").asInt());
        assertEquals("${{ for k, b in random_bytes.key_secret : k => replace(replace(trimsuffix(b.base64, \"=\"), "
                + "\"+\", \"-\"), \"/\", \"_\") }}", flat(locals.get("key_secrets").asText()));
        JsonNode keys = outputs.get("api_keys");
        assertTrue(keys.get("sensitive").asBoolean(), "the API keys are output as a sensitive value");
        assertTrue(keys.get("value").asText().contains("\"sluice_sk_${random_id.key[k].hex}_${local.key_secrets[k]}\""),
                keys.get("value").asText());
        outputs.properties().forEach(o -> {
            if (!o.getKey().equals("api_keys")) {
                assertFalse(o.getValue().toString().contains("key_secrets"), o.getKey() + " shows no secret");
            }
        });
    }

    /**
     * The key text Terraform builds ({@code random_bytes.base64} = standard base64 with one '=' of padding for 32
     * bytes; trimsuffix, then the url-safe letters) is one Sluice accepts, and Terraform's {@code sha256()} (of the
     * text's UTF-8 bytes, in lowercase hex) is the hash Sluice compares with.
     */
    @Test
    void theKeyTerraformMakesIsOneSluiceAcceptsAndItsHashIsTheOneSluiceCompares() {
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 500; i++) {
            byte[] bytes = new byte[32];
            random.nextBytes(bytes);
            String base64 = Base64.getEncoder().encodeToString(bytes); // random_bytes.base64
            String trimmed = base64.endsWith("=") ? base64.substring(0, base64.length() - 1) : base64;
            String secret = trimmed.replace("+", "-").replace("/", "_");
            assertEquals(43, secret.length());
            assertEquals(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes), secret);
            String id = KeyFormat.newId(random); // random_id.hex: 16 lowercase hex digits
            Optional<KeyFormat.Presented> presented = KeyFormat.parse("sluice_sk_" + id + "_" + secret);
            assertTrue(presented.isPresent(), secret);
            assertEquals(id, presented.get().id());
            assertEquals(KeyFormat.hex(presented.get().secretHash()), sha256Hex(secret));
        }
    }

    /**
     * The policy in docs/vault.md parses, and under Vault's rule (an exact path wins, else the longest matching glob)
     * grants each call Sluice makes and nothing it does not: no write to what Terraform declares.
     */
    @Test
    void thePolicyInTheDocsGrantsWhatSluiceNeedsAndNoMore() {
        JsonNode paths = policy.get("path");
        assertTrue(paths != null && paths.size() > 0, "docs/vault.md's policy has path blocks: " + policy);
        Map<String, Set<String>> grants = new LinkedHashMap<>();
        paths.properties().forEach(e -> grants.put(e.getKey(),
                new HashSet<>(texts(e.getValue().get(0).get("capabilities")))));
        Map<String, String> needed = new LinkedHashMap<>();
        needed.put("secret/data/sluice/config", "read");
        needed.put("secret/data/sluice/plans/pro", "read");
        needed.put("secret/metadata/sluice/tenants/acme", "read");
        needed.put("secret/metadata/sluice/", "list");
        needed.put("secret/metadata/sluice/keys/acme/", "list");
        needed.put("secret/data/sluice/keys/acme/0123456789abcdef", "read");
        needed.put("secret/data/sluice/secrets/tenant-uid/fn/API_TOKEN", "create,update,read");
        needed.put("secret/metadata/sluice/secrets/tenant-uid/fn/", "list");
        needed.put("secret/metadata/sluice/secrets/tenant-uid/fn/API_TOKEN", "read,delete");
        needed.put("auth/token/lookup-self", "read");
        needed.put("auth/token/renew-self", "update");
        needed.forEach((path, capabilities) -> {
            for (String capability : capabilities.split(",")) {
                assertTrue(allowed(grants, path).contains(capability), path + " needs " + capability);
            }
        });
        for (String declared : List.of("secret/data/sluice/config", "secret/data/sluice/plans/pro",
                "secret/data/sluice/tenants/acme", "secret/data/sluice/keys/acme/0123456789abcdef",
                "secret/metadata/sluice/plans/pro")) {
            Set<String> capabilities = allowed(grants, declared);
            assertFalse(capabilities.contains("create") || capabilities.contains("update")
                    || capabilities.contains("delete"), declared + " is Terraform's to write: " + capabilities);
        }
        assertEquals(Set.of(), allowed(grants, "secret/data/other/thing"), "nothing outside Sluice's folder");
    }

    // ---- helpers

    private static Set<String> allowed(Map<String, Set<String>> grants, String path) {
        if (grants.containsKey(path)) {
            return grants.get(path);
        }
        String best = null;
        for (String pattern : grants.keySet()) {
            if (pattern.endsWith("*") && path.startsWith(pattern.substring(0, pattern.length() - 1))
                    && (best == null || pattern.length() > best.length())) {
                best = pattern;
            }
        }
        return best == null ? Set.of() : grants.get(best);
    }

    private static void checkLimits(String where, JsonNode object) {
        object.path("limits").properties().forEach(limit -> {
            assertTrue(limit.getValue().isIntegralNumber(), where + ": " + limit.getKey() + " is an integer");
            Limit.parse(limit.getKey()).validate(limit.getValue().asLong());
        });
        JsonNode policy = object.get("quota_fail_policy");
        if (policy != null) {
            FailPolicy.parse(policy.asText());
        }
    }

    /** The keys a value passed whole to jsonencode()/merge() brings, from the variables' defaults. */
    private static Set<String> spreadKeys(String resource, String accessor) {
        Set<String> keys = new TreeSet<>();
        switch (resource + " " + accessor) {
            case "plan each.value.limits" -> defaultOf("plans").forEach(p -> p.path("limits").fieldNames()
                    .forEachRemaining(keys::add));
            case "tenant each.value.limits" -> defaultOf("tenants").forEach(t -> t.path("limits").fieldNames()
                    .forEachRemaining(keys::add));
            case "config var.config" -> defaultOf("config").fieldNames().forEachRemaining(keys::add);
            default -> fail(resource + ": data_json passes " + accessor + " whole; this test cannot tell its keys");
        }
        return keys;
    }

    private static JsonNode defaultOf(String variable) {
        JsonNode v = variables.get(variable);
        assertTrue(v != null && v.has("default"), "variable " + variable + " with a default");
        return v.get("default");
    }

    private static String fill(String template, Map<String, String> values) {
        String out = template;
        for (Map.Entry<String, String> e : values.entrySet()) {
            out = out.replace(e.getKey(), e.getValue());
        }
        assertFalse(out.contains("${"), "unfilled: " + out);
        return out;
    }

    private static Set<String> names(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.addAll(b);
        return out;
    }

    private static String flat(String text) {
        return text.replaceAll("\\s+", " ").trim();
    }

    private static String sha256Hex(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** The first ```hcl block of docs/vault.md that holds a path rule: the policy the docs tell providers to use. */
    private static String policyBlock() {
        return Hcl2Json.markdownBlock(root.resolve("docs/vault.md"), "path \"");
    }

    private static Path repository() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy/terraform/tenants"))) {
                return p;
            }
        }
        throw new AssertionError("no deploy/terraform/tenants above " + Path.of("").toAbsolutePath());
    }
}
