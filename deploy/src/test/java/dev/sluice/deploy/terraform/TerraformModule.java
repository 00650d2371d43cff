package dev.sluice.deploy.terraform;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.tenancy.testing.Hcl2Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One Terraform module directory as hcl2json reads it: its variables, locals, resources, data sources, module calls,
 * outputs and providers, each block as hcl2json's JSON (expressions still text; {@link Evaluator} evaluates them).
 * A name declared twice across the directory's files fails, as it does for Terraform.
 */
final class TerraformModule {
    final Path dir;
    final Hcl2Json.Parsed parsed;
    final List<Path> files;
    final Map<String, JsonNode> variables = new TreeMap<>();
    final Map<String, JsonNode> locals = new TreeMap<>();
    final Map<String, Map<String, JsonNode>> resources = new TreeMap<>();
    final Map<String, Map<String, JsonNode>> data = new TreeMap<>();
    final Map<String, JsonNode> modules = new TreeMap<>();
    final Map<String, JsonNode> outputs = new TreeMap<>();
    /** required_providers entries by local name ({@code source}, {@code version}). */
    final Map<String, JsonNode> requiredProviders = new TreeMap<>();
    /** provider blocks by provider name. */
    final Map<String, JsonNode> providers = new TreeMap<>();

    private TerraformModule(Path dir, Hcl2Json.Parsed parsed, List<Path> files) {
        this.dir = dir;
        this.parsed = parsed;
        this.files = files;
        for (Path file : files) {
            JsonNode json = parsed.json(file);
            json.path("variable").properties().forEach(e -> put(variables, "variable", e.getKey(),
                    e.getValue().get(0)));
            json.path("locals").forEach(block -> block.properties().forEach(e -> put(locals, "local", e.getKey(),
                    e.getValue())));
            json.path("resource").properties().forEach(type -> type.getValue().properties().forEach(name -> put(
                    resources.computeIfAbsent(type.getKey(), k -> new TreeMap<>()), "resource " + type.getKey(),
                    name.getKey(), name.getValue().get(0))));
            json.path("data").properties().forEach(type -> type.getValue().properties().forEach(name -> put(
                    data.computeIfAbsent(type.getKey(), k -> new TreeMap<>()), "data " + type.getKey(),
                    name.getKey(), name.getValue().get(0))));
            json.path("module").properties().forEach(e -> put(modules, "module", e.getKey(), e.getValue().get(0)));
            json.path("output").properties().forEach(e -> put(outputs, "output", e.getKey(), e.getValue().get(0)));
            json.path("provider").properties().forEach(e -> put(providers, "provider", e.getKey(),
                    e.getValue().get(0)));
            json.path("terraform").forEach(t -> t.path("required_providers").forEach(rp -> rp.properties()
                    .forEach(e -> put(requiredProviders, "required provider", e.getKey(), e.getValue()))));
        }
    }

    /** Every {@code .tf} file of each directory, parsed in one run of the parser. */
    static Map<Path, TerraformModule> load(Hcl2Json hcl, Path... dirs) {
        Map<Path, List<Path>> files = new LinkedHashMap<>();
        List<Path> all = new ArrayList<>();
        for (Path dir : dirs) {
            try (Stream<Path> list = Files.list(dir)) {
                List<Path> tf = list.filter(p -> p.toString().endsWith(".tf")).sorted().toList();
                if (tf.isEmpty()) {
                    throw new AssertionError(dir + " has no .tf file");
                }
                files.put(dir, tf);
                all.addAll(tf);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Hcl2Json.Parsed parsed = hcl.parse(all);
        Map<Path, TerraformModule> out = new LinkedHashMap<>();
        files.forEach((dir, tf) -> out.put(dir, new TerraformModule(dir, parsed, tf)));
        return out;
    }

    JsonNode resource(String type, String name) {
        JsonNode block = resources.getOrDefault(type, Map.of()).get(name);
        if (block == null) {
            throw new AssertionError(dir + ": no resource " + type + "." + name);
        }
        return block;
    }

    private void put(Map<String, JsonNode> map, String what, String name, JsonNode value) {
        if (map.put(name, value) != null) {
            throw new AssertionError(dir + ": " + what + " " + name + " is declared twice");
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}
