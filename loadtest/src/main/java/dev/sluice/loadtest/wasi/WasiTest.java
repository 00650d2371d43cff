package dev.sluice.loadtest.wasi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One test of the WebAssembly wasi-testsuite: {@code NAME.wasm} and its expectations from {@code NAME.json} (the
 * suite's "legacy" specification: {@code args}, {@code env}, {@code root} — older suites say {@code dirs} —,
 * {@code exit_code}, {@code stdout}, {@code stderr}; a missing file or key takes the suite's default). As in the
 * suite's own runner, stdout and stderr are only compared when the specification names them.
 *
 * @param language the suite's language directory ({@code c}, {@code rust}, {@code assemblyscript})
 * @param dirs     the directories the test wants preopened (empty: none)
 */
record WasiTest(String language, String name, Path wasm, List<String> args, Map<String, String> env,
                List<String> dirs, int exitCode, Optional<String> stdout, Optional<String> stderr) {
    private static final ObjectMapper JSON = new ObjectMapper();

    WasiTest {
        Objects.requireNonNull(language, "language");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(wasm, "wasm");
        args = List.copyOf(args);
        env = Map.copyOf(env);
        dirs = List.copyOf(dirs);
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
    }

    /** Reads {@code wasm}'s specification beside it; an unknown key (the suite's newer "operations" form) fails. */
    static WasiTest load(String language, Path wasm) {
        String file = wasm.getFileName().toString();
        String name = file.substring(0, file.length() - ".wasm".length());
        Path specFile = wasm.resolveSibling(name + ".json");
        JsonNode spec;
        try {
            spec = Files.exists(specFile) ? JSON.readTree(specFile.toFile()) : JSON.createObjectNode();
        } catch (IOException e) {
            throw new UncheckedIOException(specFile + ": not JSON", e);
        }
        spec.fieldNames().forEachRemaining(key -> {
            if (!List.of("args", "env", "root", "dirs", "exit_code", "stdout", "stderr").contains(key)) {
                throw new IllegalArgumentException(specFile + ": key '" + key + "' (expected: the legacy "
                        + "specification's args, env, root, dirs, exit_code, stdout, stderr)");
            }
        });
        List<String> args = new ArrayList<>();
        spec.path("args").forEach(a -> args.add(a.asText()));
        Map<String, String> env = new LinkedHashMap<>();
        spec.path("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        List<String> dirs = new ArrayList<>();
        spec.path("dirs").forEach(d -> dirs.add(d.asText()));
        if (spec.hasNonNull("root")) {
            dirs.add(spec.get("root").asText());
        }
        return new WasiTest(language, name, wasm, args, env, dirs, spec.path("exit_code").asInt(0),
                text(spec, "stdout"), text(spec, "stderr"));
    }

    private static Optional<String> text(JsonNode spec, String key) {
        return spec.hasNonNull(key) ? Optional.of(spec.get(key).asText()) : Optional.empty();
    }
}
