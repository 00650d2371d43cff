package dev.sluice.loadtest.wasi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.client.AssetsPlacement;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceProblem;
import dev.sluice.client.UploadProgress;
import dev.sluice.gateway.wagi.CgiResponse;
import dev.sluice.loadtest.ExpectStatus;
import dev.sluice.loadtest.SequentialLatency;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * The tenant a suite run deploys its tests into: made through the admin API with limits no test should reach (so a
 * failure is the sandbox's, not the plan's), deleted with its functions by {@link #close()}. Runs one test at a
 * time: deploy, one invocation with an empty body, and for a failure the stderr the logs API kept.
 */
final class SuiteTenant implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LIMITS = """
            {"requests-per-second": 1000000, "burst": 1000000, "max-fuel-per-call": 100000000000,
             "max-timeout-ms": 60000, "max-memory-pages": 4096, "max-module-bytes": 67108864}""";
    /**
     * Set apart: a server without function files refuses these keys, and the run goes on without them. Without
     * scratch space no directory is preopened: a test without a {@code root} expects none (sock_shutdown-invalid_fd
     * takes fd 3 for a descriptor that does not exist).
     */
    private static final String NO_FILES = """
            {"scratch-bytes": 0}""";
    private static final String FILE_LIMITS = """
            {"max-asset-bytes": 67108864, "max-asset-files": 10000, "scratch-bytes": 16777216,
             "scratch-inodes": 10000}""";

    private final HttpClient http;
    /** The same tenant through the typed client: uploads assets (a directory as a tar, streamed). */
    private final SluiceClient files;
    private final URI base;
    private final String adminToken;
    private final String name;
    private final String key;
    private final int timeoutMs;
    private final boolean mountAssets;

    private SuiteTenant(HttpClient http, URI base, String adminToken, String name, String key, int timeoutMs,
                        boolean mountAssets) {
        this.http = http;
        this.base = base;
        this.adminToken = adminToken;
        this.name = name;
        this.key = key;
        this.timeoutMs = timeoutMs;
        this.mountAssets = mountAssets;
        this.files = SluiceClient.create(base, key);
    }

    /**
     * A tenant for the tests that want no directory ({@code mountAssets} false: none preopened at all, as the suite
     * runs them, so fd 3 is free) or for those whose {@code root} is uploaded as their function's assets
     * ({@code mountAssets} true, see {@link #mount}).
     */
    static SuiteTenant create(URI base, String adminToken, int timeoutMs, boolean mountAssets)
            throws IOException, InterruptedException {
        SequentialLatency.requireLoopback(base);
        String name = "wasi-testsuite-" + Long.toHexString(System.nanoTime());
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ExpectStatus.send(http, admin(base, adminToken, "/admin/v1/tenants/" + name)
                .PUT(HttpRequest.BodyPublishers.ofString(LIMITS)), 201);
        // 200 where function files exist (issue 15); 400 (unknown limit keys) before, where no test gets a directory
        // anyway: the tests needing dirs then say that the assets were not mounted, and why.
        http.send(admin(base, adminToken, "/admin/v1/tenants/" + name)
                .PUT(HttpRequest.BodyPublishers.ofString(mountAssets ? FILE_LIMITS : NO_FILES)).build(),
                HttpResponse.BodyHandlers.discarding());
        JsonNode created = JSON.readTree(ExpectStatus.send(http, admin(base, adminToken, "/admin/v1/tenants/" + name + "/keys")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"wasi-testsuite\"}")), 201));
        return new SuiteTenant(http, base, adminToken, name, created.path("key").asText(), timeoutMs, mountAssets);
    }

    /** Deploys {@code test} as {@code function}, invokes it once and classifies what happened. */
    WasiResult run(String function, WasiTest test) throws IOException, InterruptedException {
        HttpResponse<String> deployed = http.send(tenant("/v1/functions/" + function + "?timeout-ms=" + timeoutMs
                        + "&fuel=10000000000").header("Content-Type", "application/wasm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(test.wasm()))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (deployed.statusCode() == 422) {
            JsonNode problem = JSON.readTree(deployed.body());
            return new WasiResult(test, Outcome.REJECTED_AT_DEPLOY, Outcome.REJECTED_AT_DEPLOY,
                    problem.path("reason").asText("?") + ": " + problem.path("detail").asText());
        }
        if (deployed.statusCode() != 201 && deployed.statusCode() != 200) {
            return new WasiResult(test, Outcome.ERROR, Outcome.ERROR, "deploy " + deployed.statusCode() + " "
                    + deployed.body());
        }
        Mounted mounted = mount(function, test);
        if (mounted.rejection() != null) {
            return new WasiResult(test, Outcome.REJECTED_AT_DEPLOY, Outcome.REJECTED_AT_DEPLOY, mounted.rejection());
        }
        HttpResponse<byte[]> invoked;
        try {
            invoked = http.send(tenant("/v1/functions/" + function + "/invoke")
                            .timeout(Duration.ofMillis(timeoutMs + 30_000L))
                            .POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            return classify(test, mounted.given(), Outcome.TIMEOUT,
                    "no answer within " + (timeoutMs + 30_000L) + " ms");
        }
        WasiResult result = judge(test, mounted.given(), invoked.statusCode(), invoked.body());
        if (result.outcome() == Outcome.PASSED) {
            return result;
        }
        String stderr = stderr(function);
        String detail = result.detail() + (stderr.isEmpty() ? "" : "; stderr: " + stderr) + mounted.note();
        return new WasiResult(test, result.outcome(), result.observed(), detail);
    }

    /**
     * Whether the test's directory went in as the function's assets: {@code given}, or why not ({@code note}), or
     * the assets API's refusal ({@code rejection}).
     */
    private record Mounted(boolean given, String note, String rejection) {}

    /**
     * Uploads the test's one directory ({@code root}) as the function's assets, mounted as the suite preopens it: a
     * writable {@code /} (each invocation its own copy, in its scratch space; docs/files.md). A server without
     * function files answers 404 or 405, or 400 for the mount's parameters, and the test stays {@code needs-dirs}.
     */
    private Mounted mount(String function, WasiTest test) {
        if (test.dirs().isEmpty() || !mountAssets) {
            return new Mounted(false, "", null);
        }
        if (test.dirs().size() > 1) {
            return new Mounted(false, "; not mounted: " + test.dirs().size() + " dirs (assets are one tree)", null);
        }
        try {
            files.putAssets(function, test.wasm().resolveSibling(test.dirs().getFirst()),
                    new AssetsPlacement(Optional.of("/"), true), UploadProgress.NONE);
            return new Mounted(true, "; " + test.dirs().getFirst() + " mounted as a writable /", null);
        } catch (SluiceProblem problem) {
            if (problem.status() == 422) {
                return new Mounted(false, "", "assets " + problem.member("reason").map(JsonNode::asText).orElse("?")
                        + ": " + problem.detail());
            }
            return new Mounted(false, "; not mounted: assets " + problem.status() + " " + problem.shortType() + ": "
                    + problem.detail(), null);
        }
    }

    /** The classification of one invocation's answer ({@code status}, {@code body}), before any stderr is added. */
    static WasiResult judge(WasiTest test, boolean dirsGiven, int status, byte[] body) throws IOException {
        int exit;
        if (status >= 400) {
            JsonNode problem = JSON.readTree(body);
            String type = problem.path("type").asText();
            String slug = type.substring(type.lastIndexOf('/') + 1);
            if (slug.equals("function-failed")) {
                exit = problem.path("exit-code").asInt();
            } else if (slug.equals("function-timeout")) {
                return classify(test, dirsGiven, Outcome.TIMEOUT, slug + ": " + problem.path("detail").asText());
            } else if (status == 502) {
                return classify(test, dirsGiven, Outcome.TRAP, slug + ": " + problem.path("detail").asText());
            } else {
                return classify(test, dirsGiven, Outcome.ERROR,
                        status + " " + slug + ": " + problem.path("detail").asText());
            }
        } else {
            exit = 0;
        }
        if (exit != test.exitCode()) {
            return classify(test, dirsGiven, Outcome.WRONG_EXIT,
                    "exit " + exit + " (expected " + test.exitCode() + ")");
        }
        if (exit == 0 && test.stdout().isPresent()) {
            byte[] expected = expectedBody(test.stdout().get());
            if (!Arrays.equals(expected, body)) {
                return classify(test, dirsGiven, Outcome.WRONG_STDOUT, "body " + quote(body) + " (expected "
                        + quote(expected) + ")");
            }
        }
        return new WasiResult(test, Outcome.PASSED, Outcome.PASSED, "");
    }

    /**
     * What the gateway sends for a test's raw stdout: the CGI body when it starts with a header block, else all of
     * it as text/plain (README "Writing a function"); the same parser, so the two can never disagree.
     */
    static byte[] expectedBody(String stdout) {
        byte[] raw = stdout.getBytes(StandardCharsets.UTF_8);
        try {
            return CgiResponse.parse(raw).body();
        } catch (CgiResponse.InvalidCgiResponse e) {
            return raw;
        }
    }

    /**
     * A failure of a test that cannot pass under WAGI or without files is listed as what it needs: dirs first, unless
     * they were given as assets ({@code dirsGiven}: then the failure is the file system's), then args and env — a
     * test that sets them, or tests the argv or environment calls themselves (WAGI fixes both: argv =
     * [function-name], the CGI variables).
     */
    static WasiResult classify(WasiTest test, boolean dirsGiven, Outcome observed, String detail) {
        Outcome outcome = observed;
        if (!test.dirs().isEmpty() && !dirsGiven) {
            outcome = Outcome.NEEDS_DIRS;
        } else if (!test.args().isEmpty() || test.name().startsWith("args_")) {
            outcome = Outcome.NEEDS_ARGS;
        } else if (!test.env().isEmpty() || test.name().startsWith("environ_")) {
            outcome = Outcome.NEEDS_ENV;
        }
        String why = outcome == observed ? detail : observed.label() + ": " + detail;
        return new WasiResult(test, outcome, observed, why);
    }

    /** The stderr of the function's last invocation, as the logs API kept it, on one line (at most 300 chars). */
    private String stderr(String function) throws IOException, InterruptedException {
        HttpResponse<String> logs = http.send(tenant("/v1/functions/" + function + "/logs?limit=100").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (logs.statusCode() != 200) {
            return "";
        }
        JsonNode entries = JSON.readTree(logs.body()).path("entries");
        if (entries.isEmpty()) {
            return "";
        }
        String text = entries.get(entries.size() - 1).path("stderr").asText("").strip().replaceAll("\\s+", " ");
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    private static String quote(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        text = text.length() > 80 ? text.substring(0, 80) + "…" : text;
        return "\"" + text.replace("\n", "\\n") + "\"";
    }

    private HttpRequest.Builder tenant(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + key)
                .timeout(Duration.ofSeconds(120));
    }

    private static HttpRequest.Builder admin(URI base, String token, String path) {
        return HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        files.close();
        http.send(admin(base, adminToken, "/admin/v1/tenants/" + name).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
    }
}
