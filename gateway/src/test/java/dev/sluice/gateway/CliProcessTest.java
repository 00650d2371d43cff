package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.testing.TestModules;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code sluice} command line as a user runs it: a JVM of its own ({@code client/target/sluice-cli.jar}, started
 * with the launcher's flags, and once through the launcher script itself) against a real server on a loopback port.
 * Lives in the gateway's tests because it needs the server (the client module builds before the gateway and cannot
 * start one); the reactor packages the client's jar before these tests run.
 *
 * <p>Every run is checked for secrets: neither the admin token nor any API key the test knows may appear on stderr,
 * nor on stdout, except the key a {@code keys issue} or {@code keys rotate} prints there once.
 */
class CliProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path CLI_JAR = ROOT.resolve("client/target/sluice-cli.jar");
    private static final Pattern INVOKE_STATUS =
            Pattern.compile("HTTP (\\d+), fuel (\\d+|-), invocation ([0-9a-f-]{36})");
    private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        assertTrue(Files.isRegularFile(CLI_JAR), CLI_JAR + " is missing: build with -pl gateway -am (the reactor "
                + "packages the client module first)");
        server = TestServer.start(dir.resolve("data"));
        SECRETS.add(TestServer.ADMIN_TOKEN);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A finished run: its exit code, stdout (as UTF-8, and as bytes) and stderr. */
    record Run(int exit, String out, String err, byte[] outBytes) {
        List<String> errLines() {
            return err.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private static String tenantKey(String tenant) {
        String key = server.tenantWithKey(tenant, "{}");
        SECRETS.add(key);
        return key;
    }

    private static Map<String, String> tenantEnv(String key) {
        return Map.of("SLUICE_URL", url(), "SLUICE_KEY", key);
    }

    private static Map<String, String> adminEnv() {
        return Map.of("SLUICE_URL", url(), "SLUICE_ADMIN_TOKEN", TestServer.ADMIN_TOKEN);
    }

    private static String url() {
        return "http://127.0.0.1:" + server.sluice.port();
    }

    private static Run cli(Map<String, String> env, String... args) {
        return run(command(args), env, null);
    }

    private static List<String> command(String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Xmx256m", "-jar", CLI_JAR.toString()));
        command.addAll(List.of(args));
        return command;
    }

    /** Runs a command with only {@code env} (and PATH, HOME) set, stdin from {@code stdin} or empty. */
    private static Run run(List<String> command, Map<String, String> env, Path stdin) {
        return runIn(new ProcessBuilder(command), env, stdin);
    }

    /** No known secret in the run's output; {@code issued}, just issued, may be on stdout. */
    private static void assertNoSecret(Run run, String issued) {
        for (String secret : SECRETS) {
            assertFalse(run.err.contains(secret), "a secret on stderr: " + run.err.replace(secret, "<SECRET>"));
            if (!secret.equals(issued)) {
                assertFalse(run.out.contains(secret), "a secret on stdout: " + run.out.replace(secret, "<SECRET>"));
            }
        }
    }

    private static void assertProblemLine(Run run, String type, int status) {
        assertEquals(1, run.exit, run.toString());
        assertEquals(1, run.errLines().size(), "one line: " + run.err);
        String line = run.errLines().getFirst();
        assertTrue(line.matches("sluice: .+ \\(" + type + ", HTTP " + status + "\\): .+"), line);
    }

    /** A valid module of about {@code bytes}: a printing function with a custom section of padding. */
    private static byte[] largeModule(int bytes) {
        ByteArrayOutputStream module = new ByteArrayOutputStream();
        module.writeBytes(PrintingModule.printing("Content-Type: text/plain\n\nbig\n"));
        byte[] name = "padding".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.write(name.length);
        content.writeBytes(name);
        content.writeBytes(new byte[bytes]);
        module.write(0);
        leb(module, content.size());
        module.writeBytes(content.toByteArray());
        return module.toByteArray();
    }

    private static void leb(ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7f;
            value >>>= 7;
            out.write(value == 0 ? b : b | 0x80);
        } while (value != 0);
    }

    @Test
    void deployOfALargeModuleShowsUploadProgressThenTheAnswerAndCompileStatus() throws Exception {
        String key = tenantKey("cli-deploy");
        byte[] module = largeModule(2 * 1024 * 1024);
        Path file = Files.write(dir.resolve("big.wasm"), module);
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(module));

        Run run = cli(tenantEnv(key), "deploy", "big", file.toString(), "--progress", "--timeout-ms", "2000");
        assertEquals(0, run.exit, run.toString());
        // stderr is not a terminal here: plain lines, one per tenth, rising to 100%.
        List<String> progress = run.errLines().stream().filter(l -> l.startsWith("uploaded ")).toList();
        assertTrue(progress.size() >= 5, "progress lines: " + run.err);
        assertEquals("uploaded 0% (0 B of 2.0 MiB)", progress.getFirst());
        assertEquals("uploaded 100% (2.0 MiB of 2.0 MiB)", progress.getLast());
        int previous = -1;
        for (String line : progress) {
            int percent = Integer.parseInt(line.substring("uploaded ".length(), line.indexOf('%')));
            assertTrue(percent > previous, "rising: " + progress);
            previous = percent;
        }
        JsonNode deployed = server.call(key, "GET", "/v1/functions/big", null, null).json();
        assertEquals(digest, deployed.get("digest").asText());
        assertEquals("deployed big: 2.0 MiB, " + digest + "\nmemory-pages " + deployed.get("memory-pages")
                + ", timeout-ms 2000, fuel " + deployed.get("fuel") + "\n", run.out);
        // Compile status: shown only where the server says it (docs/cli.md).
        Run again = cli(tenantEnv(key), "deploy", "big", file.toString(), "--json");
        assertEquals(0, again.exit, again.toString());
        JsonNode answer = JSON.readTree(again.out);
        assertEquals(digest, answer.get("digest").asText());
        assertFalse(again.err.contains("uploaded"), "no progress without a terminal or --progress: " + again.err);
        if (!answer.has("compiled")) {
            assertFalse(again.err.contains("compil"), again.err);
        } else {
            assertTrue(again.err.contains("compiled"), again.err);
        }
    }

    @Test
    void invokePrintsTheBodyOnStdoutAndStatusFuelAndIdOnStderr() throws IOException {
        String key = tenantKey("cli-invoke");
        assertEquals(201, server.deploy(key, "env", TestModules.load("env")).status());
        assertEquals(201, server.deploy(key, "echo", TestModules.load("echo")).status());

        Run env = cli(tenantEnv(key), "invoke", "env", "-H", "X-Test: one two", "--header", "X-Other: 3",
                "--path", "/sub/path?q=1", "--method", "DELETE");
        assertEquals(0, env.exit, env.toString());
        assertTrue(env.out.contains("HTTP_X_TEST=one two\n"), env.out);
        assertTrue(env.out.contains("HTTP_X_OTHER=3\n"), env.out);
        assertTrue(env.out.contains("REQUEST_METHOD=DELETE\n"), env.out);
        assertTrue(env.out.contains("PATH_INFO=/sub/path\n"), env.out);
        assertTrue(env.out.contains("QUERY_STRING=q=1\n"), env.out);
        Matcher status = INVOKE_STATUS.matcher(env.err.strip());
        assertTrue(status.matches(), env.err);
        assertEquals("200", status.group(1));
        assertTrue(Long.parseLong(status.group(2)) > 0, env.err);

        Run text = cli(tenantEnv(key), "invoke", "echo", "-d", "hello, body");
        assertEquals(0, text.exit, text.toString());
        assertEquals("hello, body", text.out);
        Path data = Files.write(dir.resolve("data.bin"), new byte[] {1, 2, 3, (byte) 0xff});
        Run file = run(command("invoke", "echo", "--data", "@" + data), tenantEnv(key), null);
        assertEquals(0, file.exit, file.toString());
        assertArrayEquals(new byte[] {1, 2, 3, (byte) 0xff}, file.outBytes, "the answer's bytes as they came");
        Run stdin = run(command("invoke", "echo", "--data", "@-"), tenantEnv(key), data);
        assertArrayEquals(file.outBytes, stdin.outBytes);

        Run json = cli(tenantEnv(key), "invoke", "echo", "-d", "x", "--json");
        JsonNode answer = JSON.readTree(json.out);
        assertEquals(200, answer.get("status").asInt());
        assertEquals("x", answer.get("body").asText());
        assertTrue(answer.get("fuel-used").asLong() > 0);
        assertEquals(36, answer.get("invocation-id").asText().length());
    }

    @Test
    void aFunctionThatFailsExitsOneWithItsProblemAndTheInvocationId() {
        String key = tenantKey("cli-fails");
        assertEquals(201, server.deploy(key, "trap", TestModules.load("div-zero")).status());
        Run run = cli(tenantEnv(key), "invoke", "trap");
        assertEquals(1, run.exit, run.toString());
        assertEquals("", run.out);
        assertTrue(run.errLines().getFirst().matches("sluice: .+ \\(function-trapped, HTTP 502\\): .+"), run.err);
        assertTrue(INVOKE_STATUS.matcher(run.errLines().get(1)).matches(), run.err);
    }

    @Test
    void functionsAsATableAndAsTheServersJson() throws IOException {
        String key = tenantKey("cli-functions");
        server.deploy(key, "alpha", TestModules.load("echo"));
        server.deploy(key, "a-longer-name", TestModules.load("env"));
        Run table = cli(tenantEnv(key), "functions");
        assertEquals(0, table.exit, table.toString());
        List<String> lines = table.out.lines().toList();
        assertEquals(3, lines.size(), table.out);
        assertTrue(lines.get(0).matches("NAME {11}\\s+SIZE  MEMORY-PAGES  TIMEOUT-MS\\s+FUEL  DEPLOYED-AT\\s+DIGEST"),
                lines.get(0));
        assertTrue(lines.get(1).startsWith("a-longer-name  "), lines.get(1));
        assertTrue(lines.get(2).startsWith("alpha          "), lines.get(2));
        int digestColumn = lines.get(0).indexOf("DIGEST");
        assertTrue(lines.stream().skip(1).allMatch(l -> l.indexOf("sha256:") == digestColumn), table.out);

        Run json = cli(tenantEnv(key), "functions", "--json");
        assertEquals(server.call(key, "GET", "/v1/functions", null, null).json(), JSON.readTree(json.out));
        Run one = cli(tenantEnv(key), "function", "alpha", "--json");
        assertEquals(server.call(key, "GET", "/v1/functions/alpha", null, null).json(), JSON.readTree(one.out));
        Run shown = cli(tenantEnv(key), "function", "alpha");
        assertTrue(shown.out.contains("runs-with fuel"), shown.out);

        Run deleted = cli(tenantEnv(key), "delete", "alpha");
        assertEquals("deleted alpha\n", deleted.out);
        assertProblemLine(cli(tenantEnv(key), "function", "alpha"), "not-found", 404);
    }

    @Test
    void assetsPutFromADirectoryShowAndDelete() throws IOException {
        String key = server.tenantWithKey("cli-assets", "{\"max-asset-bytes\": 1048576}");
        SECRETS.add(key);
        assertEquals(201, server.deploy(key, "site", TestModules.load("files-wagi")).status());
        Path site = Files.createDirectories(dir.resolve("site"));
        Files.writeString(site.resolve("greeting.txt"), "hello from the cli");
        Files.createDirectories(site.resolve("sub"));

        Run put = cli(tenantEnv(key), "assets", "put", "site", site.toString());
        assertEquals(0, put.exit, put.toString());
        assertTrue(put.out.matches("(?s).*digest +sha256:[0-9a-f]{64}\n.*files +2\n.*path +/assets\n"
                + ".*writable +no.*"), put.out);
        TestServer.Reply tour = server.call(key, "GET", "/v1/functions/site/invoke?tour", null, null);
        assertTrue(tour.body().contains("read /assets/greeting.txt: hello from the cli\n"), tour.body());
        Run json = cli(tenantEnv(key), "assets", "show", "site", "--json");
        assertEquals(server.call(key, "GET", "/v1/functions/site/assets", null, null).json(), JSON.readTree(json.out));

        Run writable = cli(tenantEnv(key), "assets", "put", "site", site.toString(), "--path", "/srv/site",
                "--writable");
        assertEquals(0, writable.exit, "the plan's default 1 MiB of scratch holds the copy: " + writable);
        assertTrue(writable.out.matches("(?s).*path +/srv/site\\n.*writable +yes.*"), writable.out);
        Files.createSymbolicLink(site.resolve("escape"), Path.of("/etc/passwd"));
        Run link = cli(tenantEnv(key), "assets", "put", "site", site.toString());
        assertEquals(2, link.exit, link.toString());
        assertTrue(link.err.contains("escape: a symbolic link"), link.err);
        assertProblemLine(cli(tenantEnv(key), "assets", "put", "site", site.resolve("sub").toString(), "--path",
                "/a/../b"), "invalid-request", 400);

        Run deleted = cli(tenantEnv(key), "assets", "delete", "site");
        assertEquals("deleted the assets of site\n", deleted.out);
        assertProblemLine(cli(tenantEnv(key), "assets", "show", "site"), "not-found", 404);
        assertNoSecret(put, null);
    }

    @Test
    void logsShowEachInvocationWithItsStderrAndFollowPrintsNewOnes() throws Exception {
        String key = tenantKey("cli-logs");
        server.deploy(key, "talk", PrintingModule.printing("Content-Type: text/plain\n\nok".getBytes(
                StandardCharsets.UTF_8), "said on stderr\nsecond line".getBytes(StandardCharsets.UTF_8)));
        Run invoked = cli(tenantEnv(key), "invoke", "talk");
        Matcher status = INVOKE_STATUS.matcher(invoked.err.strip());
        assertTrue(status.matches(), invoked.err);
        String id = status.group(3);

        Run logs = cli(tenantEnv(key), "logs", "talk");
        assertEquals(0, logs.exit, logs.toString());
        List<String> lines = logs.out.lines().toList();
        assertEquals(3, lines.size(), logs.out);
        assertTrue(lines.get(0).matches("\\S+  200  completed  fuel \\d+  \\d+ ms  " + id), lines.get(0));
        assertEquals(List.of("  | said on stderr", "  | second line"), lines.subList(1, 3));
        JsonNode json = JSON.readTree(cli(tenantEnv(key), "logs", "talk", "--json", "--limit", "5").out);
        assertEquals(id, json.get("entries").get(0).get("invocation-id").asText());

        Path followErr = Files.createTempFile(dir, "follow", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command("logs", "talk", "--follow", "--json", "--interval-ms",
                "200")).redirectError(followErr.toFile());
        builder.environment().clear();
        builder.environment().put("PATH", System.getenv("PATH"));
        builder.environment().putAll(tenantEnv(key));
        Process process = builder.start();
        try (InputStream out = process.getInputStream()) {
            assertEquals(id, JSON.readTree(line(out)).get("invocation-id").asText(), "the entry held first");
            String next = INVOKE_STATUS.matcher(cli(tenantEnv(key), "invoke", "talk").err.strip()).results()
                    .findFirst().orElseThrow().group(3);
            assertEquals(next, JSON.readTree(line(out)).get("invocation-id").asText(), "then the new one");
            // Ctrl-C: SIGINT ends it at once, with the shell's 130 and nothing on stderr (no stack trace). A process
            // started with SIGINT ignored (a background job of a script) passes that on: then SIGTERM, as kill would.
            boolean interruptible = !sigintIgnored();
            assertEquals(0, new ProcessBuilder("kill", interruptible ? "-INT" : "-TERM", String.valueOf(process.pid()))
                    .start().waitFor());
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "a signal ends a follow");
            assertEquals(interruptible ? 130 : 143, process.exitValue());
            assertEquals("", Files.readString(followErr));
        } finally {
            process.destroyForcibly();
        }
    }

    /** Whether this JVM ignores SIGINT (and so its children do): bit 2 of {@code SigIgn} in /proc/self/status. */
    private static boolean sigintIgnored() throws IOException {
        String mask = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("SigIgn:"))
                .findFirst().orElse("SigIgn: 0").substring("SigIgn:".length()).strip();
        return (Long.parseUnsignedLong(mask, 16) & 2) != 0;
    }

    /** One line of a running process's stdout (blocks until it comes; the process is bounded by its test). */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new AssertionError("stdout ended after: " + line);
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    @Test
    void usageForTheTenantAndForTheAdmin() throws IOException {
        String key = tenantKey("cli-usage");
        server.deploy(key, "echo", TestModules.load("echo"));
        cli(tenantEnv(key), "invoke", "echo", "-d", "a");
        cli(tenantEnv(key), "invoke", "echo", "-d", "b");
        Run usage = cli(tenantEnv(key), "usage", "--days", "2");
        assertEquals(0, usage.exit, usage.toString());
        List<String> lines = usage.out.lines().toList();
        assertTrue(lines.get(0).matches("DAY {9}INVOCATIONS  ERRORS  THROTTLES +FUEL"), lines.get(0));
        assertTrue(lines.getLast().matches("total\\s+2\\s+0\\s+0\\s+\\d+"), usage.out);
        assertEquals(server.call(key, "GET", "/v1/usage?days=2", null, null).json(),
                JSON.readTree(cli(tenantEnv(key), "usage", "--days", "2", "--json").out));
        Run admin = cli(adminEnv(), "usage", "--tenant", "cli-usage", "--json");
        assertEquals(2, JSON.readTree(admin.out).get("total").get("invocations").asInt(), admin.toString());

        assumeTrue(server.admin("GET", "/admin/v1/usage", null).status() == 200,
                "GET /admin/v1/usage is the api helper's (issue 14): runs once both are merged");
        Run all = cli(adminEnv(), "usage", "--all");
        assertEquals(0, all.exit, all.toString());
        assertTrue(all.out.lines().anyMatch(l -> l.matches("cli-usage\\s+-\\s+2\\s+0\\s+0\\s+\\d+")), all.out);
        Run tenantFunctions = cli(adminEnv(), "functions", "--tenant", "cli-usage");
        assertTrue(tenantFunctions.out.lines().anyMatch(l -> l.startsWith("echo ")), tenantFunctions.out);
    }

    @Test
    void everyAdminCommand() throws IOException {
        Run plan = cli(adminEnv(), "plans", "create", "cli-plan", "--set", "requests-per-second=7",
                "--set", "burst=9");
        assertEquals(0, plan.exit, plan.toString());
        assertEquals("plan cli-plan created", plan.err.strip());
        assertTrue(plan.out.lines().anyMatch(l -> l.matches("requests-per-second\\s+7")), plan.out);
        assertEquals(8, JSON.readTree(cli(adminEnv(), "plans", "update", "cli-plan", "--set", "burst=8", "--json")
                .out).get("limits").get("burst").asInt());
        assertTrue(cli(adminEnv(), "plans", "list").out.lines()
                .anyMatch(l -> l.matches("cli-plan\\s+7\\s+8\\s+.*")));
        assertEquals(server.admin("GET", "/admin/v1/plans/cli-plan", null).json(),
                JSON.readTree(cli(adminEnv(), "plans", "show", "cli-plan", "--json").out));

        Run tenant = cli(adminEnv(), "tenants", "create", "cli-admin", "--plan", "cli-plan", "--set",
                "max-functions=3");
        assertEquals(0, tenant.exit, tenant.toString());
        assertTrue(tenant.out.lines().anyMatch(l -> l.matches("max-functions\\s+3\\s+override")), tenant.out);
        assertTrue(tenant.out.lines().anyMatch(l -> l.matches("burst\\s+8\\s+plan")), tenant.out);
        Run updated = cli(adminEnv(), "tenants", "update", "cli-admin", "--set", "max-functions=null", "--json");
        assertEquals("{}", JSON.readTree(updated.out).get("overrides").toString());
        assertTrue(cli(adminEnv(), "tenants", "list").out.lines()
                .anyMatch(l -> l.matches("cli-admin\\s+cli-plan\\s+-\\s+\\S+")));
        assertEquals("cli-plan", JSON.readTree(cli(adminEnv(), "tenants", "show", "cli-admin", "--json").out)
                .get("plan").asText());
        assertProblemLine(cli(adminEnv(), "plans", "delete", "cli-plan"), "plan-in-use", 409);

        Run issued = run(command("keys", "issue", "cli-admin", "--name", "ci", "--scopes", "read,invoke",
                "--functions", "f,g"), adminEnv(), null);
        assertEquals(0, issued.exit, issued.toString());
        String key = issued.out.lines().filter(l -> l.startsWith("key ")).findFirst().orElseThrow()
                .substring(3).strip();
        assertTrue(key.startsWith("sluice_sk_"), issued.out);
        SECRETS.add(key);
        assertNoSecret(issued, key);
        assertFalse(issued.err.contains(key));
        assertEquals("sluice: the key is shown only this once; store it now", issued.err.strip());
        assertEquals(0, cli(tenantEnv(key), "functions").exit, "the issued key works");
        String id = issued.out.lines().filter(l -> l.startsWith("id ")).findFirst().orElseThrow().substring(3)
                .strip();
        Run keys = cli(adminEnv(), "keys", "list", "cli-admin");
        assertTrue(keys.out.lines().anyMatch(l -> l.matches(id + "\\s+ci\\s+invoke,read\\s+f,g\\s+never\\s+\\S+")),
                keys.out);

        Run rotated = run(command("keys", "rotate", "cli-admin", id, "--overlap-seconds", "0", "--json"),
                adminEnv(), null);
        JsonNode replacement = JSON.readTree(rotated.out);
        String newKey = replacement.get("key").asText();
        SECRETS.add(newKey);
        assertNoSecret(rotated, newKey);
        assertEquals(id, replacement.get("previous").get("id").asText());
        String newId = replacement.get("id").asText();
        assertEquals("deleted key " + newId + "\n", cli(adminEnv(), "keys", "revoke", "cli-admin", newId).out);
        assertProblemLine(cli(tenantEnv(newKey), "functions"), "unauthorized", 401);

        assertEquals("deleted tenant cli-admin\n", cli(adminEnv(), "tenants", "delete", "cli-admin").out);
        assertEquals("deleted plan cli-plan\n", cli(adminEnv(), "plans", "delete", "cli-plan").out);
        assertProblemLine(cli(adminEnv(), "tenants", "show", "cli-admin"), "not-found", 404);
        assertProblemLine(cli(adminEnv(), "tenants", "create", "Bad_Name"), "invalid-name", 400);
    }

    @Test
    void noServerIsExitThree() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Run run = cli(Map.of("SLUICE_URL", "http://127.0.0.1:" + port, "SLUICE_KEY", "sluice_sk_v2_x_y"), "functions");
        assertEquals(3, run.exit, run.toString());
        assertEquals("sluice: cannot reach http://127.0.0.1:" + port + ": connection refused\n", run.err);
    }

    @Test
    void missingCredentialsAreExitFourNamingTheVariable() {
        Run tenant = cli(Map.of("SLUICE_URL", url()), "functions");
        assertEquals(4, tenant.exit, tenant.toString());
        assertTrue(tenant.err.startsWith("sluice: no API key: set SLUICE_KEY"), tenant.err);
        Run admin = cli(Map.of("SLUICE_URL", url(), "SLUICE_KEY", "k"), "tenants", "list");
        assertEquals(4, admin.exit, admin.toString());
        assertTrue(admin.err.startsWith("sluice: no admin token: set SLUICE_ADMIN_TOKEN"), admin.err);
    }

    @Test
    void aProfileFileIsUsedOnlyWhenOnlyItsOwnerCanReadIt() throws IOException {
        Path config = dir.resolve("xdg");
        Path profile = Files.createDirectories(config.resolve("sluice")).resolve("profile");
        Files.writeString(profile, "url=" + url() + "\nadmin-token=" + TestServer.ADMIN_TOKEN + "\n[other]\nurl="
                + url() + "\nadmin-token=wrong\n");
        Map<String, String> env = Map.of("XDG_CONFIG_HOME", config.toString());

        Files.setPosixFilePermissions(profile, PosixFilePermissions.fromString("rw-r--r--"));
        Run refused = cli(env, "tenants", "list");
        assertEquals(4, refused.exit, refused.toString());
        assertEquals("sluice: profile " + profile + " is mode 0644, readable by others; it holds credentials "
                + "(expected: 0600; run chmod 600 " + profile + ")\n", refused.err);

        Files.setPosixFilePermissions(profile, PosixFilePermissions.fromString("rw-------"));
        assertEquals(0, cli(env, "tenants", "list").exit);
        assertProblemLine(cli(env, "tenants", "list", "--profile", "other"), "unauthorized", 401);
        Run missing = cli(env, "tenants", "list", "--profile", "nope");
        assertEquals(4, missing.exit);
        assertEquals("sluice: profile " + profile + " has no section [nope]\n", missing.err);
    }

    @Test
    void wrongUseIsExitTwoWithAHint() {
        Run unknown = cli(adminEnv(), "tenants", "frobnicate");
        assertEquals(2, unknown.exit);
        assertEquals("sluice: unknown action frobnicate\nRun 'sluice help tenants' for its usage.\n", unknown.err);
        Run option = cli(adminEnv(), "usage", "--days", "0");
        assertEquals(2, option.exit);
        assertTrue(option.err.startsWith("sluice: --days: 0 (expected: 1..62)"), option.err);
        Run help = cli(Map.of(), "help", "deploy");
        assertEquals(0, help.exit);
        assertTrue(help.out.startsWith("Usage: sluice deploy NAME FILE"), help.out);
    }

    @Test
    void theLauncherRunsClientCommandsFromTheCliJarWithAClassDataArchive() throws IOException {
        String key = tenantKey("cli-launcher");
        server.deploy(key, "echo", TestModules.load("echo"));
        Path work = Files.createDirectories(dir.resolve("elsewhere"));
        Files.write(work.resolve("m.wasm"), TestModules.load("echo"));
        Map<String, String> env = new HashMap<>(tenantEnv(key));
        env.put("JAVA_HOME", Path.of(ProcessHandle.current().info().command().orElseThrow()).getParent()
                .getParent().toString());
        // deploy's FILE is relative to the caller's directory, not the repository's.
        ProcessBuilder builder = new ProcessBuilder(ROOT.resolve("sluice").toString(), "deploy", "copy", "m.wasm")
                .directory(work.toFile());
        Run deploy = runIn(builder, env, null);
        assertEquals(0, deploy.exit, deploy.toString());
        assertTrue(deploy.out.startsWith("deployed copy: "), deploy.out);
        Run functions = runIn(new ProcessBuilder(ROOT.resolve("sluice").toString(), "functions"), env, null);
        assertEquals(0, functions.exit, functions.toString());
        assertEquals(3, functions.out.lines().count(), "a header and two functions, nothing else: " + functions.out);
        assertEquals("", functions.err, "no JVM or archive messages");
        try (var archives = Files.list(ROOT.resolve("client/target"))) {
            assertTrue(archives.anyMatch(p -> p.getFileName().toString().matches("sluice-cli-.+\\.(jsa|aot)")),
                    "the archive was made");
        }
    }

    private static Run runIn(ProcessBuilder builder, Map<String, String> env, Path stdin) {
        try {
            Path out = Files.createTempFile(dir, "out", ".txt");
            Path err = Files.createTempFile(dir, "err", ".txt");
            builder.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(stdin == null ? new File("/dev/null") : stdin.toFile());
            builder.environment().clear();
            builder.environment().put("PATH", System.getenv("PATH"));
            builder.environment().put("HOME", dir.resolve("home").toString());
            builder.environment().putAll(env);
            Process process = builder.start();
            // Generous: the launcher may build the jar and its archive first.
            if (!process.waitFor(300, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("no exit in 300 s: " + builder.command());
            }
            byte[] bytes = Files.readAllBytes(out);
            Run run = new Run(process.exitValue(), new String(bytes, StandardCharsets.UTF_8), Files.readString(err),
                    bytes);
            assertNoSecret(run, null);
            return run;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
