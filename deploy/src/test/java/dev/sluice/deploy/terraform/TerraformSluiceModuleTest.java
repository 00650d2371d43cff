package dev.sluice.deploy.terraform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.sluice.config.ConfigException;
import dev.sluice.config.FileConfigSource;
import dev.sluice.config.SluiceConfig;
import dev.sluice.deploy.support.Kustomize;
import dev.sluice.deploy.support.StrictKubernetes;
import dev.sluice.tenancy.testing.Hcl2Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the Terraform module {@code deploy/terraform/sluice} and the example
 * {@code deploy/terraform/examples/complete} without Terraform (none can be installed here): every file is parsed by
 * HashiCorp's HCL parser ({@link Hcl2Json}), references and variables are checked against what the files
 * declare, and the module's expressions are evaluated ({@link Evaluator}, a small evaluator of the subset the module
 * uses) for its default variables, so the Kubernetes objects it declares can be parsed by the typed Kubernetes model
 * ({@link StrictKubernetes}) and compared field by field with what
 * {@code kubectl kustomize deploy/kubernetes/distributed} renders, its sluice.conf parsed by Sluice's own
 * {@link SluiceConfig}, and its Vault policy compared with the one in docs/vault.md.
 */
class TerraformSluiceModuleTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The one variable without a default: a Redis address for the evaluation (it only reaches the Secret). */
    private static final Map<String, JsonNode> REQUIRED = Map.of("redis_uri",
            TextNode.valueOf("rediss://:not-a-real-password@redis.example:6380"));
    /** Objects the module writes that the overlay leaves to the provider (see deploy/kubernetes/README.md). */
    private static final Set<String> TERRAFORM_ONLY = Set.of("Namespace/sluice", "Secret/sluice-secrets");
    /**
     * Fields the two sides write differently on purpose. The module rolls pods on a configuration change with a
     * checksum annotation where kustomize gives the ConfigMap a hashed name (removed before comparing).
     */
    private static final Set<String> DIFFERENT_ON_PURPOSE = Set.of(
            "spec.template.metadata.annotations.sluice.dev/config-sha256");
    /** Attributes a provider computes, by resource type: references to them are known after apply. */
    private static final Map<String, Set<String>> COMPUTED = Map.of(
            "random_password", Set.of("result", "bcrypt_hash", "id"),
            "random_bytes", Set.of("base64", "hex"),
            "kubernetes_service_v1", Set.of("status", "id"),
            "kubernetes_manifest", Set.of("object"));

    private static final ObjectMapper UNKNOWN_AS_TEXT = new ObjectMapper().registerModule(new SimpleModule()
            .addSerializer(Evaluator.Unknown.class, new StdSerializer<>(Evaluator.Unknown.class) {
                @Override
                public void serialize(Evaluator.Unknown unknown, JsonGenerator out, SerializerProvider provider)
                        throws IOException {
                    out.writeString("(known after apply)");
                }
            }));

    private static Path deploy;
    private static Hcl2Json hcl;
    private static TerraformModule sluice;
    private static TerraformModule example;
    private static TerraformModule tenants;
    private static Map<Path, TerraformModule> modules;

    @BeforeAll
    static void parseTheModuleTheExampleAndTheTenantsModule() {
        deploy = Path.of("").toAbsolutePath();
        if (!Files.isDirectory(deploy.resolve("terraform"))) {
            deploy = deploy.resolve("deploy"); // run from the repository's root
        }
        hcl = Hcl2Json.install();
        Path terraform = deploy.resolve("terraform");
        modules = TerraformModule.load(hcl, terraform.resolve("sluice"), terraform.resolve("examples/complete"),
                terraform.resolve("tenants"));
        sluice = modules.get(terraform.resolve("sluice"));
        example = modules.get(terraform.resolve("examples/complete"));
        tenants = modules.get(terraform.resolve("tenants"));
        assertEquals(List.of("kubernetes.tf", "locals.tf", "outputs.tf", "variables.tf", "vault.tf", "versions.tf"),
                sluice.files.stream().map(p -> p.getFileName().toString()).toList(), "the module's files");
    }

    private static TerraformModule child(TerraformModule parent, String source) {
        TerraformModule m = modules.get(parent.dir.resolve(source).normalize());
        if (m == null) {
            throw new AssertionError(parent + ": module source " + source + " is not a module of this repository");
        }
        return m;
    }

    private static Evaluator evaluator(TerraformModule module, Map<String, JsonNode> inputs) {
        Map<String, JsonNode> all = new HashMap<>(REQUIRED);
        all.putAll(inputs);
        return new Evaluator(module, all, source -> {
            // sources are relative to the calling module; the only caller here is the example
            return child(example, source);
        });
    }

    // ---- the files hang together

    @Test
    void everyVariableOfTheModuleAndOfTheExampleIsUsed() {
        for (TerraformModule m : List.of(sluice, example)) {
            Set<String> used = new TreeSet<>();
            for (Reference r : References.of(m)) {
                if (r.root().equals("var") && !r.where().startsWith("variable.")) {
                    used.add(r.segments().get(1));
                }
            }
            Set<String> unused = new TreeSet<>(m.variables.keySet());
            unused.removeAll(used);
            assertEquals(Set.of(), unused, m + ": variables declared but never used");
            m.variables.forEach((name, v) -> {
                assertTrue(v.path("description").asText().length() > 10,
                        m + ": variable " + name + " has a description");
                assertTrue(v.has("type"), m + ": variable " + name + " has a type");
            });
            m.outputs.forEach((name, o) -> assertTrue(o.path("description").asText().length() > 10,
                    m + ": output " + name + " has a description"));
        }
    }

    @Test
    void everyReferenceResolvesToSomethingDeclared() {
        for (TerraformModule m : List.of(sluice, example)) {
            List<String> unresolved = new ArrayList<>();
            for (Reference r : References.of(m)) {
                String problem = resolve(m, r);
                if (problem != null) {
                    unresolved.add(r.where() + ": " + r.accessor() + " (" + problem + ")");
                }
            }
            assertEquals(List.of(), unresolved, m + ": references that resolve to nothing");
        }
        // Module calls: each argument is a variable of the called module, each variable without default is given.
        example.modules.forEach((name, call) -> {
            TerraformModule called = child(example, call.get("source").asText());
            Set<String> args = new TreeSet<>();
            call.fieldNames().forEachRemaining(args::add);
            args.removeAll(Set.of("source", "version", "depends_on", "providers", "count", "for_each"));
            Set<String> undeclared = new TreeSet<>(args);
            undeclared.removeAll(called.variables.keySet());
            assertEquals(Set.of(), undeclared, "module." + name + ": arguments that are not variables of " + called);
            called.variables.forEach((v, decl) -> assertTrue(decl.has("default") || args.contains(v),
                    "module." + name + ": required variable " + v + " of " + called + " is not given"));
        });
        assertEquals(Set.of("sluice", "tenants"), example.modules.keySet(), "the example composes both modules");
    }

    private static String resolve(TerraformModule m, Reference r) {
        List<String> s = r.segments();
        String second = s.size() > 1 ? s.get(1) : null;
        switch (r.root()) {
            case "var":
                return m.variables.containsKey(second) ? null : "no such variable";
            case "local":
                return m.locals.containsKey(second) ? null : "no such local";
            case "path":
                return Set.of("module", "root", "cwd").contains(second) ? null : "no such path";
            case "module": {
                JsonNode call = m.modules.get(second);
                if (call == null) {
                    return "no such module";
                }
                if (s.size() > 2 && !child(m, call.get("source").asText()).outputs.containsKey(s.get(2))) {
                    return "the module has no output " + s.get(2);
                }
                return null;
            }
            case "data":
                return s.size() > 2 && m.data.getOrDefault(second, Map.of()).containsKey(s.get(2)) ? null
                        : "no such data source";
            case "each", "count", "self":
                return "not used by this module";
            default: {
                JsonNode block = m.resources.getOrDefault(r.root(), Map.of()).get(second);
                if (block == null) {
                    return "no such resource";
                }
                int next = 2;
                if (block.has("count") && s.size() > 2 && s.get(2).startsWith("[")) {
                    next = 3;
                } else if (block.has("count") && s.size() > 2) {
                    return "a count resource is referred to by index";
                }
                if (s.size() > next) {
                    String attribute = s.get(next);
                    if (!block.has(attribute) && !COMPUTED.getOrDefault(r.root(), Set.of()).contains(attribute)) {
                        return r.root() + " has no attribute " + attribute
                                + " in its configuration or known computed ones";
                    }
                }
                return null;
            }
        }
    }

    @Test
    void everyResourceTypesProviderIsARequiredHashicorpProvider() {
        for (TerraformModule m : List.of(sluice, tenants)) {
            Set<String> prefixes = new TreeSet<>();
            m.resources.keySet().forEach(t -> prefixes.add(t.substring(0, t.indexOf('_'))));
            m.data.keySet().forEach(t -> prefixes.add(t.substring(0, t.indexOf('_'))));
            for (String p : prefixes) {
                JsonNode required = m.requiredProviders.get(p);
                assertTrue(required != null, m + ": resources of " + p + " but no required provider " + p);
                assertEquals("hashicorp/" + p, required.path("source").asText(), m + ": provider " + p + "'s source");
                assertFalse(required.path("version").asText().isBlank(), m + ": provider " + p + " has a version");
                assertTrue(example.requiredProviders.containsKey(p),
                        "the example requires provider " + p + ", which " + m + " uses");
                assertEquals(required.path("source").asText(), example.requiredProviders.get(p).path("source").asText(),
                        "the example and " + m + " name the same source for " + p);
            }
        }
        assertEquals(Set.of("kubernetes", "random", "vault"), sluice.requiredProviders.keySet());
        assertEquals(Set.of(), sluice.providers.keySet(), "a module leaves provider configuration to its caller");
        assertTrue(example.requiredProviders.keySet().containsAll(example.providers.keySet()),
                "the example configures only providers it requires: " + example.providers.keySet());
    }

    @Test
    void secretsAreSensitiveAndReachOnlyTheSecretAndSensitiveOutputs() {
        assertTrue(sluice.variables.get("redis_uri").path("sensitive").asBoolean(), "variable redis_uri is sensitive");
        assertTrue(example.variables.get("redis_uri").path("sensitive").asBoolean(),
                "the example's variable redis_uri is sensitive");
        for (TerraformModule m : List.of(sluice, example)) {
            for (Reference r : References.of(m)) {
                if (!sensitive(m, r)) {
                    continue;
                }
                String where = r.where();
                if (where.startsWith("output.")) {
                    String output = where.split("\\.")[1];
                    assertTrue(m.outputs.get(output).path("sensitive").asBoolean(),
                            m + ": output " + output + " shows " + r.accessor() + " and must be sensitive");
                } else if (m == sluice) {
                    assertTrue(where.startsWith("resource.kubernetes_secret_v1.") || where.startsWith("variable."),
                            m + ": " + r.accessor() + " reaches " + where + ": a secret belongs in the Secret only");
                } else {
                    assertTrue(where.startsWith("module."), m + ": " + r.accessor() + " reaches " + where);
                }
            }
        }
        assertTrue(sluice.outputs.get("admin_token").path("sensitive").asBoolean(), "output admin_token is sensitive");
        assertTrue(example.outputs.get("admin_token").path("sensitive").asBoolean());
        assertTrue(example.outputs.get("api_keys").path("sensitive").asBoolean());
    }

    private static boolean sensitive(TerraformModule m, Reference r) {
        List<String> s = r.segments();
        return switch (r.root()) {
            case "var" -> m.variables.get(s.get(1)).path("sensitive").asBoolean();
            case "random_password" -> s.size() > 2 && s.get(2).equals("result");
            case "random_bytes" -> s.size() > 2 && Set.of("base64", "hex").contains(s.get(2));
            case "module" -> s.size() > 2 && child(m, m.modules.get(s.get(1)).get("source").asText()).outputs
                    .get(s.get(2)).path("sensitive").asBoolean();
            default -> false;
        };
    }

    // ---- the objects are the overlay's

    @Test
    void theKubernetesObjectsAreTheDistributedOverlaysForTheDefaultVariables() {
        Map<String, JsonNode> rendered = overlay();
        Map<String, JsonNode> declared = objects(evaluator(sluice, Map.of()));

        Set<String> expected = new TreeSet<>(rendered.keySet());
        expected.addAll(TERRAFORM_ONLY);
        assertEquals(expected, declared.keySet(), "the module's objects: the overlay's and " + TERRAFORM_ONLY);
        assertEquals(List.of(), differences(rendered, declared),
                "fields where the module's objects differ from the overlay's");

        // What the overlay leaves out and the module writes: the Secret every env reference names.
        JsonNode secret = declared.get("Secret/sluice-secrets");
        Set<String> keys = new TreeSet<>();
        secret.get("data").fieldNames().forEachRemaining(keys::add);
        assertEquals(Set.of("admin-token", "worker-secret", "secrets-key", "redis-uri"), keys,
                "Secret sluice-secrets' keys");
        for (String deployment : List.of("Deployment/sluice-gateway", "Deployment/sluice-worker")) {
            for (JsonNode env : declared.get(deployment).at("/spec/template/spec/containers/0/env")) {
                JsonNode ref = env.at("/valueFrom/secretKeyRef");
                assertEquals("sluice-secrets", ref.path("name").asText(), deployment + " env " + env.path("name"));
                assertTrue(keys.contains(ref.path("key").asText()), deployment + " env " + env.path("name")
                        + " names a key of the Secret: " + ref.path("key"));
            }
        }
        assertTrue(Evaluator.unknown(secret.get("data").get("admin-token")), "the admin token is random");
        assertEquals(REQUIRED.get("redis_uri"), secret.get("data").get("redis-uri"), "redis-uri is var.redis_uri");
    }

    /**
     * The Kubernetes API has every object the module declares, with every field in it: fabric8's typed model
     * ({@link StrictKubernetes}) parses each one, for the default variables and for a load balancer in front of the
     * gateways. The comparison with the overlay cannot show this for the objects the overlay does not have (the
     * Namespace, the Secret), nor for a field both sides would misspell alike. A value known only after apply stands
     * as a placeholder string (it is a string in every field it reaches: the Secret's random values).
     */
    @Test
    void everyKubernetesObjectTheModuleDeclaresIsOneTheKubernetesModelAccepts() {
        List<String> refused = new ArrayList<>();
        Map<String, Evaluator> variants = Map.of("default variables", evaluator(sluice, Map.of()),
                "gateway_service_type LoadBalancer", evaluator(sluice, Map.of("gateway_service_type",
                        TextNode.valueOf("LoadBalancer"))));
        variants.forEach((variant, ev) -> {
            Map<String, JsonNode> declared = objects(ev);
            assertTrue(declared.containsKey("Secret/sluice-secrets") && declared.containsKey("Namespace/sluice"),
                    variant + ": the objects only the module writes are among those checked: " + declared.keySet());
            declared.forEach((key, object) -> {
                try {
                    List<io.fabric8.kubernetes.api.model.HasMetadata> parsed =
                            StrictKubernetes.parse(knownAfterApplyAsText(object));
                    assertEquals(key, parsed.get(0).getKind() + "/" + parsed.get(0).getMetadata().getName(),
                            variant + ": the typed object's kind and name");
                } catch (IllegalArgumentException e) {
                    refused.add(variant + ": " + key + ": " + e.getMessage());
                }
            });
        });
        assertEquals(List.of(), refused, "objects the module declares that the Kubernetes model refuses");
    }

    /** Writes a value known only after apply as the text {@code (known after apply)}, every other value as it is. */
    private static String knownAfterApplyAsText(JsonNode object) {
        try {
            return UNKNOWN_AS_TEXT.writeValueAsString(object);
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The comparison sees a change: variables other than the defaults show as differences in the objects and fields
     * they reach, and nowhere else.
     */
    @Test
    void aVariableChangedFromItsDefaultShowsAsADifferenceInTheFieldsItReaches() {
        Map<String, JsonNode> rendered = overlay();
        ObjectNode image = NODES.objectNode().put("repository", "registry.example/sluice").put("tag", "9.9.9");
        Evaluator changed = evaluator(sluice, Map.of("gateway_replicas", replicas(3, 10), "image", image,
                "shutdown_grace_ms", LongNode.valueOf(25_000),
                "monitoring_namespace", TextNode.valueOf("observability")));
        List<String> found = differences(rendered, objects(changed));
        List<String> fields = found.stream().map(d -> d.substring(0, d.indexOf(':'))).toList();
        assertEquals(List.of(
                "ConfigMap/sluice-gateway-config data.sluice.conf",
                "ConfigMap/sluice-worker-config data.sluice.conf",
                "Deployment/sluice-gateway spec.template.spec.containers[sluice].image",
                "Deployment/sluice-gateway spec.template.spec.terminationGracePeriodSeconds",
                "Deployment/sluice-worker spec.template.spec.containers[sluice].image",
                "Deployment/sluice-worker spec.template.spec.terminationGracePeriodSeconds",
                "HorizontalPodAutoscaler/sluice-gateway spec.minReplicas",
                "NetworkPolicy/sluice-metrics "
                        + "spec.ingress[0].from[0].namespaceSelector.matchLabels.kubernetes.io/metadata.name"),
                fields.stream().sorted().toList(), "differences found: " + found);
        assertTrue(found.contains("Deployment/sluice-gateway spec.template.spec.containers[sluice].image: kustomize "
                + "\"ghcr.io/sluice-dev/sluice:0.1.0-SNAPSHOT\", terraform \"registry.example/sluice:9.9.9\""),
                found.toString());
        assertTrue(found.contains("Deployment/sluice-gateway spec.template.spec.terminationGracePeriodSeconds: "
                + "kustomize 30, terraform 35"), found.toString());
    }

    private static Map<String, JsonNode> overlay() {
        Kustomize.assumeKubectl();
        Path overlay = Path.of(System.getProperty("sluice.distributed.overlay",
                deploy.resolve("kubernetes/distributed").toString()));
        Assumptions.assumeTrue(Files.isRegularFile(overlay.resolve("kustomization.yaml")),
                overlay + " does not exist (yet): nothing to compare with");
        return KubernetesObjects.kustomize(overlay);
    }

    private static List<String> differences(Map<String, JsonNode> rendered, Map<String, JsonNode> declared) {
        List<String> out = new ArrayList<>();
        rendered.forEach((key, object) -> KubernetesObjects.differences(object, declared.get(key), DIFFERENT_ON_PURPOSE)
                .forEach(d -> out.add(key + " " + d)));
        return out;
    }

    /**
     * Each attribute and block of the typed Kubernetes resources is one the provider has (hashicorp/kubernetes
     * 3.2.1's schema, {@code kubernetes-provider-schema.txt}), written as the provider expects it: a nested block as a
     * block ({@code metadata { }}), an attribute as an attribute ({@code labels = {}}). The comparison with the overlay
     * cannot see this: a block written as a map would convert to the same object, and Terraform would refuse it.
     */
    @Test
    void everyKubernetesAttributeAndBlockIsOneTheProviderHasInItsShape() throws IOException {
        Map<String, String> schema = new HashMap<>();
        try (var in = TerraformSluiceModuleTest.class.getResourceAsStream("kubernetes-provider-schema.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] f = line.trim().split(" ");
                    schema.put(f[0] + " " + f[1], f[2]);
                }
            }
        }
        List<String> wrong = new ArrayList<>();
        sluice.resources.forEach((type, byName) -> {
            if (type.startsWith("kubernetes_")) {
                byName.forEach((name, block) -> shape(schema, type, type + "." + name, "", block, wrong));
            }
        });
        assertEquals(List.of(), wrong, "attributes and blocks the provider does not have, or not in that shape");
    }

    private static final Set<String> META = Set.of("count", "for_each", "depends_on", "lifecycle", "provider");

    private static void shape(Map<String, String> schema, String type, String resource, String path, JsonNode block,
                              List<String> wrong) {
        block.properties().forEach(e -> {
            if (path.isEmpty() && META.contains(e.getKey())) {
                return;
            }
            String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            String kind = schema.get(type + " " + p);
            JsonNode v = e.getValue();
            boolean isBlock = v.isArray() && !v.isEmpty() && v.get(0).isObject();
            if (kind == null) {
                wrong.add(resource + ": " + p + " is not an attribute or block of " + type);
            } else if (!kind.equals(isBlock ? "block" : "attribute")) {
                wrong.add(resource + ": " + p + " is a " + kind + " of " + type + ", written as a "
                        + (isBlock ? "block" : "attribute"));
            } else if (isBlock) {
                v.forEach(item -> shape(schema, type, resource, p, item, wrong));
            }
        });
    }

    /** Every Kubernetes object the module declares for these variables, keyed Kind/name. */
    private static Map<String, JsonNode> objects(Evaluator ev) {
        Map<String, JsonNode> out = new TreeMap<>();
        sluice.resources.forEach((type, byName) -> byName.forEach((name, block) -> {
            if (!type.startsWith("kubernetes_")) {
                return;
            }
            if (block.has("count") && ev.value(block.get("count")).asInt() == 0) {
                return;
            }
            JsonNode object = type.equals("kubernetes_manifest") ? ev.resource(type, name).get("manifest")
                    : KubernetesObjects.fromTerraform(type, ev.resource(type, name));
            if (out.put(KubernetesObjects.key(object), object) != null) {
                throw new AssertionError("two resources declare " + KubernetesObjects.key(object));
            }
        }));
        return out;
    }

    @Test
    void theConfigurationFilesParseWithSluiceAndFollowTheVariables() throws IOException {
        Evaluator defaults = evaluator(sluice, Map.of());
        SluiceConfig gateway = parse(defaults.local("gateway_conf").asText());
        assertEquals("http://vault.vault.svc:8200", gateway.vault().address());
        assertEquals("kubernetes", gateway.vault().auth());
        assertEquals("sluice", gateway.vault().kubernetesRole());
        assertEquals("secret", gateway.vault().mount());
        assertEquals("sluice", gateway.vault().prefix());
        assertEquals(20_000, gateway.shutdownGraceMs());
        assertEquals("dns", gateway.cluster().workerDiscovery());
        assertEquals("sluice-worker", gateway.cluster().workerDnsName());
        assertEquals("redis", gateway.stores().tenancyStore());
        SluiceConfig worker = parse(defaults.local("worker_conf").asText());
        assertEquals(8090, worker.cluster().workerPort());
        assertEquals(9464, worker.metrics().metricsPort());

        Evaluator custom = evaluator(sluice, Map.of(
                "vault_mount", TextNode.valueOf("kv"),
                "vault_prefix", TextNode.valueOf("teams/sluice"),
                "vault_auth_path", TextNode.valueOf("k8s-prod"),
                "vault_role", TextNode.valueOf("sluice-prod"),
                "vault_address", TextNode.valueOf("https://vault.example:8200"),
                "shutdown_grace_ms", LongNode.valueOf(45_000),
                "gateway_extra_config", TextNode.valueOf("log-level = debug\n"),
                "worker_extra_config", TextNode.valueOf("workers = 8\n")));
        SluiceConfig g = parse(custom.local("gateway_conf").asText());
        assertEquals("kv", g.vault().mount(), "vault_mount reaches vault-mount");
        assertEquals("teams/sluice", g.vault().prefix(), "vault_prefix reaches vault-prefix");
        assertEquals("k8s-prod", g.vault().authMount(), "vault_auth_path reaches vault-auth-mount");
        assertEquals("sluice-prod", g.vault().kubernetesRole());
        assertEquals("https://vault.example:8200", g.vault().address());
        assertEquals(45_000, g.shutdownGraceMs());
        assertEquals("debug", g.logLevel());
        SluiceConfig w = parse(custom.local("worker_conf").asText());
        assertEquals(45_000, w.shutdownGraceMs());
        assertEquals(8, w.workers());
        for (Evaluator ev : List.of(defaults, custom)) {
            for (String conf : List.of("gateway_conf", "worker_conf")) {
                String text = ev.local(conf).asText();
                assertFalse(text.contains("not-a-real-password"), conf + " holds no secret");
            }
        }
    }

    private static SluiceConfig parse(String conf) {
        return SluiceConfig.from(FileConfigSource.parse(Path.of("sluice.conf"), conf.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theTerminationGraceCoversThePreStopSleepTheDrainAndTheQuietSecond() {
        long[][] cases = {{5, 20_000}, {1, 0}, {10, 45_500}, {60, 3_600_000}};
        for (long[] c : cases) {
            Evaluator ev = evaluator(sluice, Map.of("prestop_sleep_seconds", LongNode.valueOf(c[0]),
                    "shutdown_grace_ms", LongNode.valueOf(c[1])));
            long grace = ev.local("termination_grace_period_seconds").asLong();
            long needed = c[0] + (c[1] + 999) / 1000 + 1;
            assertTrue(grace >= needed, "preStop " + c[0] + " s, shutdown-grace-ms " + c[1] + ": grace " + grace
                    + " s < " + needed + " s");
            for (String d : List.of("gateway", "worker")) {
                JsonNode spec = ev.resource("kubernetes_manifest", d).at("/manifest/spec/template/spec");
                assertEquals(grace, spec.get("terminationGracePeriodSeconds").asLong(), d);
                assertEquals(c[0], spec.at("/containers/0/lifecycle/preStop/sleep/seconds").asLong(), d);
            }
        }
        assertEquals(30, evaluator(sluice, Map.of()).local("termination_grace_period_seconds").asLong(),
                "the defaults give the overlay's 30 s");
    }

    // ---- Vault

    @Test
    void theVaultPolicyIsTheOneDocsVaultMdGivesForTheMountAndPrefix() throws IOException {
        Path work = Files.createDirectories(Path.of("target", "terraform-sluice").toAbsolutePath());
        Path docs = work.resolve("docs-policy.hcl");
        Files.writeString(docs, docsPolicy());
        Path defaults = work.resolve("default-policy.hcl");
        Files.writeString(defaults, evaluator(sluice, Map.of()).local("vault_policy").asText());
        Path custom = work.resolve("custom-policy.hcl");
        Files.writeString(custom, evaluator(sluice, Map.of("vault_mount", TextNode.valueOf("kv"),
                "vault_prefix", TextNode.valueOf("teams/sluice"))).local("vault_policy").asText());
        Hcl2Json.Parsed parsed = hcl.parse(List.of(docs, defaults, custom));
        Map<String, Set<String>> expected = grants(parsed.json(docs));
        assertEquals(6, expected.size(), "docs/vault.md's policy: " + expected);
        assertEquals(expected, grants(parsed.json(defaults)), "the module's policy for the default mount and prefix");
        Map<String, Set<String>> moved = new TreeMap<>();
        expected.forEach((path, caps) -> moved.put(path.replace("secret/data/sluice/", "kv/data/teams/sluice/")
                .replace("secret/metadata/sluice/", "kv/metadata/teams/sluice/"), caps));
        assertEquals(moved, grants(parsed.json(custom)), "the policy for mount kv and prefix teams/sluice");

        JsonNode policy = evaluator(sluice, Map.of()).resource("vault_policy", "sluice");
        assertEquals("sluice", policy.get("name").asText());
    }

    private static Map<String, Set<String>> grants(JsonNode policy) {
        Map<String, Set<String>> out = new TreeMap<>();
        policy.path("path").properties().forEach(e -> {
            Set<String> caps = new TreeSet<>();
            e.getValue().get(0).get("capabilities").forEach(c -> caps.add(c.asText()));
            out.put(e.getKey(), caps);
        });
        return out;
    }

    private static String docsPolicy() {
        return Hcl2Json.markdownBlock(deploy.resolve("../docs/vault.md"), "path \"");
    }

    @Test
    void theVaultRoleBindsTheServiceAccountThePodsRunAsToThePolicy() {
        for (boolean createBackend : List.of(false, true)) {
            Evaluator ev = evaluator(sluice, Map.of("create_vault_auth_backend", BooleanNode.valueOf(createBackend),
                    "namespace", TextNode.valueOf("edge")));
            JsonNode role = ev.resource("vault_kubernetes_auth_backend_role", "sluice");
            SluiceConfig conf = parse(ev.local("gateway_conf").asText());
            assertEquals(conf.vault().kubernetesRole(), role.get("role_name").asText(), "the role sluice.conf names");
            assertEquals(conf.vault().effectiveAuthMount(), role.get("backend").asText(),
                    "the auth mount Sluice logs in at (create_vault_auth_backend = " + createBackend + ")");
            Map<String, JsonNode> objects = objects(ev);
            JsonNode gateway = objects.get("Deployment/sluice-gateway").at("/spec/template/spec");
            assertEquals(List.of(gateway.get("serviceAccountName").asText()),
                    texts(role.get("bound_service_account_names")));
            assertTrue(gateway.get("automountServiceAccountToken").asBoolean(),
                    "the gateways get the token they log in with");
            assertEquals(List.of("edge"), texts(role.get("bound_service_account_namespaces")));
            assertEquals("edge", objects.get("Deployment/sluice-gateway").at("/metadata/namespace").asText());
            assertEquals(List.of(ev.resource("vault_policy", "sluice").get("name").asText()),
                    texts(role.get("token_policies")));
        }
        JsonNode backend = evaluator(sluice, Map.of("vault_auth_path", TextNode.valueOf("k8s-prod")))
                .resource("vault_auth_backend", "kubernetes");
        assertEquals("kubernetes", backend.get("type").asText());
        assertEquals("k8s-prod", backend.get("path").asText());
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    // ---- what plan refuses

    /**
     * A value Sluice would refuse at start (found by parsing the sluice.conf the module renders with it, as the pods
     * would) fails {@code terraform plan} instead: the variable's validations, evaluated here, refuse it; and a value
     * Sluice takes passes them.
     */
    @Test
    void theValidationsRefuseEveryValueSluiceWouldRefuse() {
        Map<String, List<JsonNode>> candidates = new LinkedHashMap<>();
        candidates.put("shutdown_grace_ms", List.of(LongNode.valueOf(-1), LongNode.valueOf(0), LongNode.valueOf(20_000),
                LongNode.valueOf(3_600_000), LongNode.valueOf(3_600_001), NODES.numberNode(1.5)));
        candidates.put("vault_address", texts("http://vault.vault.svc:8200", "https://vault.example.com",
                "https://10.0.0.5:8200", "vault:8200", "ftp://vault:8200", "http://user:pw@vault:8200", "http://",
                "vault.vault.svc"));
        candidates.put("vault_mount", texts("secret", "kv/team", "kv-2", "a b", "/secret", "secret/", "s*", ""));
        candidates.put("vault_prefix", texts("sluice", "teams/sluice", "x.y_z", "a b", "/sluice", "sluice/", ""));
        candidates.put("vault_auth_path", texts("kubernetes", "k8s/prod", "a b", "/k8s"));
        candidates.put("vault_role", texts("sluice", "sluice-prod", ""));
        candidates.put("redis_uri", texts("redis://redis:6379", "rediss://:pw@redis.example:6380",
                "redis-sentinel://sentinel:26379#mymaster", "rediss-sentinel://s:26379#m", "http://redis:6379",
                "redis:6379", "localhost"));
        Evaluator base = evaluator(sluice, Map.of());
        List<String> wrong = new ArrayList<>();
        candidates.forEach((variable, values) -> {
            for (JsonNode value : values) {
                Evaluator ev = base.with(Map.of(variable, value));
                boolean terraform = validations(ev, variable);
                boolean sluiceTakes = sluiceTakes(ev, variable, value);
                if (terraform && !sluiceTakes) {
                    wrong.add(variable + " = " + value + ": plan accepts what Sluice refuses");
                }
                if (!terraform && sluiceTakes) {
                    wrong.add(variable + " = " + value + ": plan refuses what Sluice takes");
                }
            }
        });
        assertEquals(List.of(), wrong);
        // Sluice reads an empty vault-auth-mount as "kubernetes"; the module writes its role at that path, so it
        // needs a real one (the default is "kubernetes").
        assertFalse(validations(base.with(Map.of("vault_auth_path", TextNode.valueOf(""))), "vault_auth_path"));
        // Sluice takes an empty redis-uri (it falls back to $SLUICE_REDIS_URI, then to redis://127.0.0.1:6379), but in
        // a pod that default is no Redis at all: the module needs a real address.
        assertFalse(validations(base.with(Map.of("redis_uri", TextNode.valueOf(""))), "redis_uri"));

        Map<String, Map<JsonNode, Boolean>> bounds = Map.of(
                "gateway_replicas", Map.of(replicas(2, 10), true, replicas(1, 1), true, replicas(0, 3), false,
                        replicas(3, 2), false),
                "namespace", Map.of(TextNode.valueOf("sluice"), true, TextNode.valueOf("team-a"), true,
                        TextNode.valueOf("Sluice"), false, TextNode.valueOf("-a"), false,
                        TextNode.valueOf("a".repeat(64)), false),
                "gateway_service_type", Map.of(TextNode.valueOf("LoadBalancer"), true,
                        TextNode.valueOf("NodePort"), false),
                "prestop_sleep_seconds", Map.of(LongNode.valueOf(5), true, LongNode.valueOf(0), false));
        bounds.forEach((variable, cases) -> cases.forEach((value, accepted) -> assertEquals(accepted,
                validations(base.with(Map.of(variable, value)), variable), variable + " = " + value)));
    }

    private static boolean validations(Evaluator ev, String variable) {
        int n = sluice.variables.get(variable).path("validation").size();
        assertTrue(n > 0, "variable " + variable + " has a validation");
        for (int i = 0; i < n; i++) {
            if (!ev.validation(variable, i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether Sluice starts with this value: the rendered sluice.conf (and the Redis address) parsed by Sluice. */
    private static boolean sluiceTakes(Evaluator ev, String variable, JsonNode value) {
        try {
            String conf = ev.local("gateway_conf").asText();
            if (variable.equals("redis_uri")) {
                conf += "redis-uri = " + value.asText() + "\n"; // what SLUICE_REDIS_URI stands for
            }
            parse(conf);
            return true;
        } catch (ConfigException e) {
            return false;
        }
    }

    private static List<JsonNode> texts(String... values) {
        List<JsonNode> out = new ArrayList<>();
        for (String v : values) {
            out.add(TextNode.valueOf(v));
        }
        return out;
    }

    private static JsonNode replicas(int min, int max) {
        ObjectNode o = NODES.objectNode();
        o.put("min", min);
        o.put("max", max);
        return o;
    }

    // ---- outputs and the example

    @Test
    void theGatewayUrlIsTheServicesDnsNameOrTheLoadBalancersAddress() {
        assertEquals("http://sluice-gateway.sluice.svc", evaluator(sluice, Map.of()).output("gateway_url").asText());
        assertEquals("http://sluice-gateway.edge.svc",
                evaluator(sluice, Map.of("namespace", TextNode.valueOf("edge"))).output("gateway_url").asText());
        Evaluator lb = evaluator(sluice, Map.of("gateway_service_type", TextNode.valueOf("LoadBalancer")));
        assertTrue(Evaluator.unknown(lb.output("gateway_url")), "with a load balancer: its address, known after apply");
        assertTrue(lb.resource("kubernetes_service_v1", "gateway").get("wait_for_load_balancer").asBoolean(),
                "apply waits for the load balancer's address");
        assertEquals("LoadBalancer", lb.resource("kubernetes_service_v1", "gateway").at("/spec/0/type").asText());
        Evaluator ev = evaluator(sluice, Map.of());
        assertEquals("sluice", ev.output("namespace").asText());
        assertEquals("sluice", ev.output("service_account").asText());
        assertEquals("sluice", evaluator(sluice, Map.of("create_namespace", BooleanNode.FALSE)).output("namespace")
                .asText(), "an existing namespace");
    }

    @Test
    void theExampleSharesTheMountAndPrefixAndWritesTheTenantsBeforeSluiceStarts() {
        JsonNode sluiceCall = example.modules.get("sluice");
        JsonNode tenantsCall = example.modules.get("tenants");
        assertEquals("../../sluice", sluiceCall.get("source").asText());
        assertEquals("../../tenants", tenantsCall.get("source").asText());
        assertEquals(tenantsCall.get("mount").asText(), sluiceCall.get("vault_mount").asText(),
                "both modules get the same mount");
        assertEquals(tenantsCall.get("prefix").asText(), sluiceCall.get("vault_prefix").asText(),
                "both modules get the same prefix");
        assertEquals(texts("${module.tenants}").toString(), sluiceCall.get("depends_on").toString(),
                "Sluice's objects wait for the tenants' tree");
        assertEquals(tenants.variables.get("mount").get("default"), sluice.variables.get("vault_mount").get("default"));
        assertEquals(tenants.variables.get("prefix").get("default"),
                sluice.variables.get("vault_prefix").get("default"));

        Evaluator ev = evaluator(example, Map.of());
        assertEquals("http://sluice-gateway.sluice.svc", ev.output("gateway_url").asText(),
                "the example's gateway_url, through the module");
        assertEquals("sluice", ev.output("namespace").asText());
        assertTrue(Evaluator.unknown(ev.output("admin_token")));
    }
}
