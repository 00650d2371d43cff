package dev.sluice.tenancy.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HashiCorp's HCL parser ({@code @cdktf/hcl2json} from npm, Go compiled to WebAssembly, run by Node.js) as a process:
 * Terraform files to JSON, and each expression in them to its syntax tree. Installed under {@code target/hcl2json}
 * on first use ({@code npm install --prefer-offline}: from npm's cache once fetched, so later runs need no network).
 * The one installer of the parser for every module's tests: deploy's Terraform module checks read trees through
 * {@link #parse}; gateway's {@code TerraformTenantsExampleTest} runs a summarizing script of its own through
 * {@link #script}. Lives in tenancy's test-jar because both modules' tests already depend on it (deploy depends on
 * gateway, so gateway's tests cannot use deploy's).
 *
 * <p>A file's JSON is hcl2json's: blocks are arrays of objects, literal values are JSON values, every other expression
 * is its text ({@code "${var.x}"}, {@code "p-${var.x}"}). {@link Parsed#expression} gives the tree of such a text
 * (see {@code hcl2json.js} beside this class for its shape).
 */
public final class Hcl2Json {
    public static final String PACKAGE = "@cdktf/hcl2json@0.21.0";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NODE_HINT = "Node.js and npm are needed to parse Terraform files "
            + "(apt-get install -y nodejs npm; .ci/run installs them)";

    private final Path work;

    private Hcl2Json(Path work) {
        this.work = work;
    }

    /** The parser installed under {@code target/hcl2json} (of the working directory), installing it when missing. */
    public static Hcl2Json install() {
        try {
            Path work = Path.of("target", "hcl2json").toAbsolutePath();
            Files.createDirectories(work);
            run(work, 60, "node", "--version");
            if (!Files.exists(work.resolve("node_modules/@cdktf/hcl2json/package.json"))) {
                run(work, 600, "npm", "install", "--prefix", work.toString(), "--no-audit", "--no-fund",
                        "--prefer-offline", "--no-save", PACKAGE);
            }
            try (InputStream script = Hcl2Json.class.getResourceAsStream("hcl2json.js")) {
                Files.write(work.resolve("hcl2json.js"), script.readAllBytes());
            }
            return new Hcl2Json(work);
        } catch (IOException e) {
            throw new AssertionError("cannot install " + PACKAGE + " under target/hcl2json: " + e.getMessage(), e);
        }
    }

    /** The directory the parser is installed in (under {@code target/}): scratch files may go there. */
    public Path work() {
        return work;
    }

    /**
     * Runs a Node.js script of the caller's (a class-path resource of {@code owner}, which may
     * {@code require('@cdktf/hcl2json')}) with these files as arguments, and reads what it prints as JSON.
     */
    public JsonNode script(Class<?> owner, String resource, List<Path> files) {
        String name = Path.of(resource).getFileName().toString();
        try (InputStream script = owner.getResourceAsStream(resource)) {
            if (script == null) {
                throw new AssertionError(owner.getName() + " has no resource " + resource);
            }
            Files.write(work.resolve(name), script.readAllBytes());
            List<String> command = new ArrayList<>(List.of("node", work.resolve(name).toString()));
            files.forEach(f -> command.add(f.toString()));
            return JSON.readTree(run(work, 300, command.toArray(String[]::new)));
        } catch (IOException e) {
            throw new AssertionError("node " + resource + ": " + e.getMessage(), e);
        }
    }

    /**
     * The first {@code ```hcl} block of a Markdown file that contains {@code containing} (the Vault policy of
     * docs/vault.md: {@code path "}); fails naming the file when there is none.
     */
    public static String markdownBlock(Path markdown, String containing) {
        try {
            Matcher m = Pattern.compile("```hcl\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(markdown));
            while (m.find()) {
                if (m.group(1).contains(containing)) {
                    return m.group(1);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError(markdown + " has no ```hcl block with " + containing);
    }

    /** Parses the files; fails naming the file when one is not valid HCL. */
    public Parsed parse(List<Path> files) {
        List<String> command = new ArrayList<>(List.of("node", work.resolve("hcl2json.js").toString()));
        files.forEach(f -> command.add(f.toAbsolutePath().toString()));
        try {
            JsonNode out = JSON.readTree(run(work, 300, command.toArray(String[]::new)));
            for (Path file : files) {
                JsonNode one = out.get("files").get(file.toAbsolutePath().toString());
                if (one.has("error")) {
                    throw new AssertionError(file + " is not valid HCL: " + one.get("error").asText());
                }
            }
            return new Parsed(out);
        } catch (IOException e) {
            throw new AssertionError("hcl2json: " + e.getMessage(), e);
        }
    }

    /** What {@link #parse} read. */
    public static final class Parsed {
        private final JsonNode out;

        private Parsed(JsonNode out) {
            this.out = out;
        }

        /** The file as hcl2json's JSON. */
        public JsonNode json(Path file) {
            JsonNode one = out.get("files").get(file.toAbsolutePath().toString());
            if (one == null) {
                throw new IllegalArgumentException(file + " was not parsed");
            }
            return one.get("json");
        }

        /** The syntax tree of an expression's text as it appears in {@link #json}; empty for a plain string. */
        public Optional<Expression> expression(String text) {
            JsonNode e = out.get("expressions").get(text);
            if (e == null) {
                return Optional.empty();
            }
            if (e.has("error")) {
                throw new AssertionError("HCL cannot parse " + text + ": " + e.get("error").asText());
            }
            return Optional.of(new Expression(e.get("source").asText(), e.get("ast"), e.get("trim").asBoolean()));
        }
    }

    /**
     * One expression: the source text HCL parsed (ranges in the tree are UTF-8 byte offsets into it), the tree, and
     * whether the value ends in a newline that is not its own (a template parsed as a heredoc).
     */
    public record Expression(String source, JsonNode ast, boolean trim) {
        /** The source text a tree node spans. */
        public String text(JsonNode node) {
            byte[] bytes = source.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int start = node.get("range").get("start").get("byte").asInt();
            int end = node.get("range").get("end").get("byte").asInt();
            return new String(bytes, start, end - start, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Runs a command to completion and returns its standard output; fails with its error output otherwise. */
    private static String run(Path dir, long timeoutSeconds, String... command) throws IOException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        try {
            Process process;
            try {
                process = new ProcessBuilder(command).directory(dir.toFile()).redirectOutput(out.toFile())
                        .redirectError(err.toFile()).start();
            } catch (IOException e) {
                throw new AssertionError(NODE_HINT + ": cannot run " + command[0] + " (" + e.getMessage() + ")", e);
            }
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + ": no answer in " + timeoutSeconds + " s");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed (" + process.exitValue() + "): "
                        + Files.readString(err) + (command[0].equals("node") ? "" : "\n" + NODE_HINT));
            }
            return Files.readString(out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + String.join(" ", command), e);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
