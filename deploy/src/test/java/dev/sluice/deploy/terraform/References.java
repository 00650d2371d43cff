package dev.sluice.deploy.terraform;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.tenancy.testing.Hcl2Json.Expression;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Every reference ({@code var.x}, {@code local.y}, {@code type.name.attr}, {@code module.m.out}, ...) in a module's
 * files, with the block it sits in ({@code resource.kubernetes_secret_v1.sluice}, {@code output.admin_token},
 * {@code variable.x}, ...). The names a {@code for} expression binds are not references and are left out.
 */
final class References {
    private References() {
    }

    static List<Reference> of(TerraformModule m) {
        List<Reference> out = new ArrayList<>();
        for (java.nio.file.Path file : m.files) {
            JsonNode json = m.parsed.json(file);
            for (String kind : List.of("variable", "locals", "resource", "data", "module", "output", "provider")) {
                JsonNode blocks = json.get(kind);
                if (blocks == null) {
                    continue;
                }
                if (kind.equals("locals")) {
                    blocks.forEach(b -> b.properties().forEach(e -> walk(m, "local." + e.getKey(), e.getValue(), out)));
                } else if (kind.equals("resource") || kind.equals("data")) {
                    blocks.properties().forEach(t -> t.getValue().properties().forEach(n -> walk(m,
                            kind + "." + t.getKey() + "." + n.getKey(), n.getValue(), out)));
                } else if (kind.equals("variable")) {
                    // a variable's type constraint (object({...}), map(string)) is not an expression
                    blocks.properties().forEach(e -> e.getValue().forEach(block -> block.properties().forEach(a -> {
                        if (!a.getKey().equals("type")) {
                            walk(m, kind + "." + e.getKey(), a.getValue(), out);
                        }
                    })));
                } else {
                    blocks.properties().forEach(e -> walk(m, kind + "." + e.getKey(), e.getValue(), out));
                }
            }
        }
        return out;
    }

    private static void walk(TerraformModule m, String where, JsonNode value, List<Reference> out) {
        if (value.isTextual()) {
            Optional<Expression> e = m.parsed.expression(value.asText());
            e.ifPresent(x -> tree(where, x.ast(), new HashSet<>(), out));
        } else if (value.isContainerNode()) {
            value.forEach(v -> walk(m, where, v, out));
        }
    }

    private static void tree(String where, JsonNode node, Set<String> bound, List<Reference> out) {
        String type = node.path("type").asText();
        Set<String> inner = bound;
        if (type.equals("for")) {
            inner = new HashSet<>(bound);
            for (String v : List.of("keyVar", "valVar")) {
                String name = node.path("meta").path(v).asText("");
                if (!name.isEmpty()) {
                    inner.add(name);
                }
            }
        }
        if (type.equals("scopeTraversal")) {
            List<String> segments = new ArrayList<>();
            for (JsonNode t : node.path("meta").path("traversal")) {
                String s = t.get("segment").asText();
                segments.add(t.get("type").asText().equals("indexTraversal") ? "[" + s + "]" : s);
            }
            if (!bound.contains(segments.get(0))) {
                out.add(new Reference(where, node.path("meta").path("value").asText(), List.copyOf(segments)));
            }
        }
        for (JsonNode child : node.path("children")) {
            tree(where, child, inner, out);
        }
    }

}
