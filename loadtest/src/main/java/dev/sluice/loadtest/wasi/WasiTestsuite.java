package dev.sluice.loadtest.wasi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.Sluice;
import dev.sluice.loadtest.Options;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Runs the WebAssembly wasi-testsuite (https://github.com/WebAssembly/wasi-testsuite, branch
 * {@code prod/testsuite-base}: its built tests) through Sluice's HTTP API and reports the pass rate per language.
 *
 * <p>{@code WasiTestsuite --suite DIR [--server http://127.0.0.1:PORT --admin-token T] [--json FILE]
 * [--timeout-ms N] [--mount-assets true]}. {@code DIR} is a checkout of the suite (or any directory holding its
 * {@code tests/LANGUAGE/testsuite/…/NAME.wasm} files); {@code wasm32-wasip3} tests (components) are skipped. Each
 * test is deployed as a function of a tenant made for the run with generous limits, invoked once with an empty
 * body, and classified ({@link Outcome}); the tenant is deleted afterwards. Without {@code --server} it starts its
 * own Sluice in a temporary directory. Only loopback servers are accepted. Prints a table per language and the
 * failures with their reasons, and writes every test's outcome as JSON to {@code FILE} (default: a temporary file,
 * named in the output).
 *
 * <p>With {@code --mount-assets true} (for a Sluice with function files, issue 15), each test's {@code root} is
 * uploaded as its function's assets before the invocation, and such a test that fails is classed by what went wrong,
 * no longer as {@code needs-dirs}. The suite preopens the root as a writable {@code /}, Sluice mounts assets
 * read-only at {@code /assets}: see docs/sandbox.md, "WASI conformance".
 */
public final class WasiTestsuite {
    static final List<String> LANGUAGES = List.of("c", "rust", "assemblyscript");

    private WasiTestsuite() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "suite", "server", "admin-token", "json", "timeout-ms",
                "mount-assets");
        Path suite = Path.of(Optional.ofNullable(options.get("suite"))
                .orElseThrow(() -> new IllegalArgumentException("--suite DIR is required")));
        int timeoutMs = Integer.parseInt(options.getOrDefault("timeout-ms", "10000"));
        boolean mountAssets = Boolean.parseBoolean(options.getOrDefault("mount-assets", "false"));
        Path json = options.containsKey("json") ? Path.of(options.get("json"))
                : Files.createTempFile("wasi-testsuite-", ".json");
        List<WasiTest> tests = discover(suite);
        System.out.println("suite: " + suite.toAbsolutePath() + " (" + tests.size() + " wasm32-wasip1 tests)");
        List<WasiResult> results;
        if (options.containsKey("server")) {
            String token = Optional.ofNullable(options.get("admin-token"))
                    .orElseThrow(() -> new IllegalArgumentException("--server needs --admin-token"));
            results = run(URI.create(options.get("server")), token, tests, timeoutMs, mountAssets);
        } else {
            results = inProcess(tests, timeoutMs, mountAssets);
        }
        System.out.print(report(results));
        Files.writeString(json, json(results));
        System.out.println("every outcome: " + json);
    }

    /** Runs {@code tests} against a Sluice started for the run in a temporary directory. */
    static List<WasiResult> inProcess(List<WasiTest> tests, int timeoutMs, boolean mountAssets)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("sluice-wasi-testsuite");
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dir.toString()));
        try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of("wasi-testsuite-admin")).start()) {
            return run(URI.create("http://127.0.0.1:" + sluice.port()), "wasi-testsuite-admin", tests, timeoutMs,
                    mountAssets);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Runs {@code tests} in order: those without a directory in a tenant without files, those with one, when
     * {@code mountAssets}, in a tenant whose functions get their root as assets (else in the first tenant too).
     */
    static List<WasiResult> run(URI base, String adminToken, List<WasiTest> tests, int timeoutMs,
                                boolean mountAssets) throws IOException, InterruptedException {
        List<WasiResult> results = new ArrayList<>();
        try (SuiteTenant bare = SuiteTenant.create(base, adminToken, timeoutMs, false);
             SuiteTenant withFiles = mountAssets ? SuiteTenant.create(base, adminToken, timeoutMs, true) : null) {
            for (int i = 0; i < tests.size(); i++) {
                WasiTest test = tests.get(i);
                SuiteTenant tenant = test.dirs().isEmpty() || withFiles == null ? bare : withFiles;
                results.add(tenant.run(functionName(i, test), test));
            }
        }
        return results;
    }

    /** Every {@code *.wasm} under {@code suite} but the {@code wasm32-wasip3} ones, by language then name. */
    static List<WasiTest> discover(Path suite) throws IOException {
        if (!Files.isDirectory(suite)) {
            throw new IllegalArgumentException("--suite " + suite + ": not a directory");
        }
        try (Stream<Path> files = Files.walk(suite)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".wasm"))
                    .filter(p -> !p.toString().contains("wasm32-wasip3"))
                    .map(p -> WasiTest.load(language(suite.relativize(p)), p))
                    .sorted(Comparator.comparing((WasiTest t) -> languageOrder(t.language()))
                            .thenComparing(WasiTest::language).thenComparing(WasiTest::name))
                    .toList();
        }
    }

    /** The directory after {@code tests/} ({@code tests/c/testsuite/…}), else the first directory under the suite. */
    private static String language(Path relative) {
        for (int i = 0; i + 1 < relative.getNameCount() - 1; i++) {
            if (relative.getName(i).toString().equals("tests")) {
                return relative.getName(i + 1).toString();
            }
        }
        return relative.getNameCount() > 1 ? relative.getName(0).toString() : "other";
    }

    private static int languageOrder(String language) {
        int i = LANGUAGES.indexOf(language);
        return i < 0 ? LANGUAGES.size() : i;
    }

    /** A valid function name ({@code [a-z0-9][a-z0-9-]{0,62}}), unique by its index. */
    static String functionName(int index, WasiTest test) {
        String name = ("t" + index + "-" + test.name()).toLowerCase(java.util.Locale.ROOT)
                .replaceAll("[^a-z0-9-]", "-");
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    /** A table per language (and the total), then the failures and needs with their reasons, by class. */
    static String report(List<WasiResult> results) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-16s %5s %6s", "language", "total", "passed"));
        for (Outcome o : Outcome.values()) {
            if (o != Outcome.PASSED) {
                out.append(String.format(" %" + Math.max(5, o.label().length()) + "s", o.label()));
            }
        }
        out.append('\n');
        Map<String, List<WasiResult>> byLanguage = new TreeMap<>(
                Comparator.comparing(WasiTestsuite::languageOrder).thenComparing(Comparator.naturalOrder()));
        for (WasiResult r : results) {
            byLanguage.computeIfAbsent(r.test().language(), k -> new ArrayList<>()).add(r);
        }
        byLanguage.forEach((language, rs) -> out.append(row(language, rs)));
        out.append(row("all", results));
        Map<Outcome, List<WasiResult>> byOutcome = new EnumMap<>(Outcome.class);
        for (WasiResult r : results) {
            byOutcome.computeIfAbsent(r.outcome(), k -> new ArrayList<>()).add(r);
        }
        byOutcome.forEach((outcome, rs) -> {
            if (outcome == Outcome.PASSED) {
                return;
            }
            out.append('\n').append(outcome.label()).append(" (").append(rs.size()).append("):\n");
            for (WasiResult r : rs) {
                out.append("  ").append(r.test().language()).append('/').append(r.test().name()).append(": ")
                        .append(r.detail()).append('\n');
            }
        });
        return out.toString();
    }

    private static String row(String language, List<WasiResult> rs) {
        Map<Outcome, Integer> counts = counts(rs);
        StringBuilder row = new StringBuilder(String.format("%-16s %5d %6d", language, rs.size(),
                counts.getOrDefault(Outcome.PASSED, 0)));
        for (Outcome o : Outcome.values()) {
            if (o != Outcome.PASSED) {
                row.append(String.format(" %" + Math.max(5, o.label().length()) + "d", counts.getOrDefault(o, 0)));
            }
        }
        return row.append('\n').toString();
    }

    static Map<Outcome, Integer> counts(List<WasiResult> rs) {
        Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
        rs.forEach(r -> counts.merge(r.outcome(), 1, Integer::sum));
        return counts;
    }

    /**
     * {@code {"summary": {language: {total, passed, class: n…}}, "tests": [{language, name, outcome, observed,
     * detail}]}}.
     */
    static String json(List<WasiResult> results) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        ObjectNode summary = root.putObject("summary");
        Map<String, List<WasiResult>> byLanguage = new LinkedHashMap<>();
        results.forEach(r -> byLanguage.computeIfAbsent(r.test().language(), k -> new ArrayList<>()).add(r));
        byLanguage.put("all", results);
        byLanguage.forEach((language, rs) -> {
            ObjectNode row = summary.putObject(language);
            row.put("total", rs.size());
            counts(rs).forEach((o, n) -> row.put(o.label(), n));
        });
        ArrayNode tests = root.putArray("tests");
        for (WasiResult r : results) {
            tests.addObject().put("language", r.test().language()).put("name", r.test().name())
                    .put("outcome", r.outcome().label()).put("observed", r.observed().label())
                    .put("detail", r.detail());
        }
        return mapper.writeValueAsString(root) + "\n";
    }
}
