package dev.sluice.deploy.terraform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.deploy.support.Kustomize;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Kubernetes objects from both sides, keyed {@code Kind/name}, in one shape (the API's JSON) so they can be compared:
 * {@link #kustomize} renders an overlay with {@code kubectl kustomize} ({@link Kustomize}); {@link #fromTerraform}
 * turns an evaluated resource of the hashicorp/kubernetes provider into the object it sends (snake_case attributes to
 * camelCase, nested blocks to objects or, where the API has a list, lists).
 */
final class KubernetesObjects {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The API version and kind each typed resource writes. */
    static final Map<String, String[]> KINDS = Map.of(
            "kubernetes_namespace_v1", new String[] {"v1", "Namespace"},
            "kubernetes_service_account_v1", new String[] {"v1", "ServiceAccount"},
            "kubernetes_config_map_v1", new String[] {"v1", "ConfigMap"},
            "kubernetes_secret_v1", new String[] {"v1", "Secret"},
            "kubernetes_service_v1", new String[] {"v1", "Service"},
            "kubernetes_horizontal_pod_autoscaler_v2", new String[] {"autoscaling/v2", "HorizontalPodAutoscaler"},
            "kubernetes_pod_disruption_budget_v1", new String[] {"policy/v1", "PodDisruptionBudget"},
            "kubernetes_network_policy_v1", new String[] {"networking.k8s.io/v1", "NetworkPolicy"});

    /** Blocks (by parent block and name) that are lists in the API, and the API's name for them. */
    private static final Map<String, String> LIST_BLOCKS = Map.ofEntries(
            Map.entry("spec/port", "ports"),
            Map.entry("spec/metric", "metrics"),
            Map.entry("spec/ingress", "ingress"),
            Map.entry("spec/egress", "egress"),
            Map.entry("ingress/from", "from"),
            Map.entry("ingress/ports", "ports"),
            Map.entry("egress/to", "to"),
            Map.entry("egress/ports", "ports"),
            Map.entry("scale_down/policy", "policies"),
            Map.entry("scale_up/policy", "policies"),
            Map.entry("selector/match_expressions", "matchExpressions"),
            Map.entry("pod_selector/match_expressions", "matchExpressions"),
            Map.entry("namespace_selector/match_expressions", "matchExpressions"));

    /** Attributes of the provider that are not part of the object (they steer Terraform). */
    private static final Set<String> TERRAFORM_ONLY = Set.of("wait_for_load_balancer", "wait_for_rollout", "timeouts",
            "wait_for_service_account_token", "wait_for_default_service_account", "wait");

    private KubernetesObjects() {
    }

    static String key(JsonNode object) {
        return object.path("kind").asText() + "/" + object.path("metadata").path("name").asText();
    }

    /** The object a typed resource writes, from its evaluated configuration. */
    static ObjectNode fromTerraform(String type, JsonNode config) {
        ObjectNode out = JSON.createObjectNode();
        String[] kind = KINDS.get(type);
        if (kind == null) {
            throw new AssertionError("no Kubernetes kind known for " + type);
        }
        out.put("apiVersion", kind[0]);
        out.put("kind", kind[1]);
        out.setAll(block("", config, type));
        return out;
    }

    private static ObjectNode block(String name, JsonNode config, String where) {
        ObjectNode out = JSON.createObjectNode();
        config.properties().forEach(e -> {
            String attribute = e.getKey();
            JsonNode value = e.getValue();
            if (TERRAFORM_ONLY.contains(attribute)) {
                return;
            }
            String path = where + "." + attribute;
            boolean isBlock = value.isArray() && !value.isEmpty() && value.get(0).isObject();
            if (!isBlock) {
                out.set(camel(attribute), value); // a scalar, a list of scalars, or a map (keys kept as written)
                return;
            }
            String list = LIST_BLOCKS.get(name + "/" + attribute);
            if (list != null) {
                ArrayNode items = out.putArray(list);
                value.forEach(item -> items.add(block(attribute, item, path)));
            } else {
                if (value.size() != 1) {
                    throw new AssertionError(path + ": " + value.size() + " blocks where the API has one object");
                }
                out.set(camel(attribute), block(attribute, value.get(0), path));
            }
        });
        return out;
    }

    /** Where the API's name is not the attribute's in camelCase (an initialism written in capitals). */
    private static final Map<String, String> NAMES = Map.of(
            "cluster_ip", "clusterIP",
            "cluster_ips", "clusterIPs",
            "external_ips", "externalIPs",
            "load_balancer_ip", "loadBalancerIP");

    static String camel(String snake) {
        String special = NAMES.get(snake);
        if (special != null) {
            return special;
        }
        StringBuilder out = new StringBuilder();
        boolean up = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                out.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return out.toString();
    }

    /**
     * The objects {@code kubectl kustomize dir} renders, keyed {@code Kind/name}, with the content hash kustomize
     * appends to a generated ConfigMap's name removed (from the name and from every reference to it), so that names
     * compare with the module's (which rolls pods with a checksum annotation instead).
     */
    static Map<String, JsonNode> kustomize(Path dir) {
        String yaml = Kustomize.renderYaml(dir);
        Load load = new Load(LoadSettings.builder().build());
        List<JsonNode> objects = new ArrayList<>();
        for (Object document : load.loadAllFromString(yaml)) {
            if (document != null) {
                objects.add(JSON.valueToTree(document));
            }
        }
        Map<String, String> hashed = new LinkedHashMap<>();
        Pattern suffix = Pattern.compile("(.+)-[a-z0-9]{10}");
        for (JsonNode o : objects) {
            if (o.path("kind").asText().equals("ConfigMap")) {
                Matcher m = suffix.matcher(o.path("metadata").path("name").asText());
                if (m.matches()) {
                    hashed.put(m.group(0), m.group(1));
                }
            }
        }
        Map<String, JsonNode> out = new TreeMap<>();
        for (JsonNode o : objects) {
            String text = o.toString();
            for (Map.Entry<String, String> h : hashed.entrySet()) {
                text = text.replace("\"" + h.getKey() + "\"", "\"" + h.getValue() + "\"");
            }
            try {
                JsonNode unhashed = JSON.readTree(text);
                if (out.put(key(unhashed), unhashed) != null) {
                    throw new AssertionError(dir + " renders " + key(unhashed) + " twice");
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }

    /**
     * Every difference between two objects, as "path: kustomize X, terraform Y". Lists whose items all have a name
     * are compared by name ({@code containers[sluice].env[SLUICE_REDIS_URI]...}), other lists by position; scalars
     * by their text (the provider writes some integers as strings: a PDB's minAvailable "1"). {@code ignored} are
     * paths left out, each with the reason in the caller.
     */
    static List<String> differences(JsonNode kustomize, JsonNode terraform, Set<String> ignored) {
        List<String> out = new ArrayList<>();
        diff("", kustomize, terraform, ignored, out);
        return out;
    }

    private static void diff(String path, JsonNode k, JsonNode t, Set<String> ignored, List<String> out) {
        if (ignored.contains(path)) {
            return;
        }
        if (k == null || t == null || k.isMissingNode() || t.isMissingNode()) {
            if (!(k == null || k.isMissingNode()) || !(t == null || t.isMissingNode())) {
                out.add(path + ": kustomize " + shown(k) + ", terraform " + shown(t));
            }
            return;
        }
        if (k.isObject() && t.isObject()) {
            Set<String> names = new java.util.TreeSet<>();
            k.fieldNames().forEachRemaining(names::add);
            t.fieldNames().forEachRemaining(names::add);
            for (String n : names) {
                diff(path.isEmpty() ? n : path + "." + n, k.get(n), t.get(n), ignored, out);
            }
            return;
        }
        if (k.isArray() && t.isArray()) {
            if (named(k) && named(t)) {
                Map<String, JsonNode> kn = byName(k);
                Map<String, JsonNode> tn = byName(t);
                Set<String> names = new java.util.TreeSet<>(kn.keySet());
                names.addAll(tn.keySet());
                for (String n : names) {
                    diff(path + "[" + n + "]", kn.get(n), tn.get(n), ignored, out);
                }
                return;
            }
            if (k.size() != t.size()) {
                out.add(path + ": kustomize " + k + ", terraform " + t);
                return;
            }
            for (int i = 0; i < k.size(); i++) {
                diff(path + "[" + i + "]", k.get(i), t.get(i), ignored, out);
            }
            return;
        }
        if (k.isValueNode() && t.isValueNode() && k.asText().equals(t.asText())) {
            return;
        }
        out.add(path + ": kustomize " + shown(k) + ", terraform " + shown(t));
    }

    private static String shown(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "(absent)";
        }
        if (Evaluator.unknown(n)) {
            return "(known after apply)";
        }
        return n.toString();
    }

    private static boolean named(JsonNode array) {
        if (array.isEmpty()) {
            return false;
        }
        for (JsonNode item : array) {
            if (!item.isObject() || !item.path("name").isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, JsonNode> byName(JsonNode array) {
        Map<String, JsonNode> out = new TreeMap<>();
        array.forEach(item -> out.put(item.get("name").asText(), item));
        return out;
    }
}
