package dev.sluice.loadtest.wasi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The conformance runner classifies the suite's own tests (a fixture subset, see the fixtures' README) against a
 * real in-process Sluice over HTTP: what passes today, and what needs args, env or dirs.
 */
class WasiTestsuiteTest {
    @Test
    void fixturesAreClassifiedAgainstARealServer() throws Exception {
        List<WasiTest> tests = WasiTestsuite.discover(fixtures());
        List<WasiResult> results = WasiTestsuite.inProcess(tests, 10_000, false);

        Map<String, String> outcomes = new LinkedHashMap<>();
        results.forEach(r -> outcomes.put(r.test().language() + "/" + r.test().name(), r.outcome().label()));
        assertEquals(Map.of(
                "c/fdopendir-with-access", "needs-dirs",
                "c/pread-with-access", "needs-dirs",
                "c/pwrite-with-access", "needs-dirs",
                "c/sock_shutdown-invalid_fd", "passed",
                "assemblyscript/fd_write-to-stdout", "passed",
                "assemblyscript/proc_exit-failure", "passed",
                "assemblyscript/args_get-multiple-arguments", "needs-args",
                "assemblyscript/environ_get-multiple-variables", "needs-env",
                "assemblyscript/environ_sizes_get-no-variables", "needs-env"), outcomes);
        assertEquals(List.of("c/fdopendir-with-access", "c/pread-with-access", "c/pwrite-with-access",
                "c/sock_shutdown-invalid_fd", "assemblyscript/args_get-multiple-arguments",
                "assemblyscript/environ_get-multiple-variables", "assemblyscript/environ_sizes_get-no-variables",
                "assemblyscript/fd_write-to-stdout", "assemblyscript/proc_exit-failure"),
                List.copyOf(outcomes.keySet()), "c before assemblyscript, then by name");
        WasiResult pread = results.get(1);
        assertTrue(pread.detail().contains("Assertion failed"), "the guest's stderr is the reason: " + pread.detail());

        String report = WasiTestsuite.report(results);
        List<String> rows = report.lines().map(l -> l.strip().replaceAll(" +", " ")).toList();
        assertTrue(rows.contains("assemblyscript 5 2 1 2 0 0 0 0 0 0 0"), report);
        assertTrue(rows.contains("c 4 1 0 0 3 0 0 0 0 0 0"), report);
        assertTrue(rows.contains("all 9 3 1 2 3 0 0 0 0 0 0"), report);
        String json = WasiTestsuite.json(results);
        assertTrue(json.contains("\"name\" : \"pread-with-access\""), json);
        assertTrue(json.contains("\"observed\" : \"trap\""), json);
    }

    /**
     * With function files, each test's root goes in as its function's assets, a writable {@code /} as the suite's:
     * the tests that read, list and write it pass, and what they wrote went to their invocation's copy, never to the
     * tree uploaded (nor, of course, to the fixtures). A test without a root still finds no directory at fd 3.
     */
    @Test
    void withMountedAssetsTheFileTestsPass() throws Exception {
        List<WasiTest> tests = WasiTestsuite.discover(fixtures()).stream()
                .filter(t -> t.language().equals("c")).toList();
        assertEquals(4, tests.size(), tests.toString());
        List<String> before = tree(fixtures());
        for (WasiResult r : WasiTestsuite.inProcess(tests, 10_000, true)) {
            assertEquals(Outcome.PASSED, r.outcome(), r.toString());
        }
        assertEquals(before, tree(fixtures()), "pwrite-with-access wrote into its invocation's copy only");
    }

    private static List<String> tree(Path root) throws java.io.IOException {
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            return walk.map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void specificationsReadTheLegacyKeysAndRootAsADirectory() throws Exception {
        Path dir = fixtures().resolve("tests/c/testsuite/wasm32-wasip1");
        WasiTest pread = WasiTest.load("c", dir.resolve("pread-with-access.wasm"));
        assertEquals(List.of("fs-tests.dir"), pread.dirs());
        assertEquals(0, pread.exitCode());
        assertEquals(Optional.empty(), pread.stdout(), "stdout is compared only when the test names it");
        WasiTest exit = WasiTest.load("assemblyscript", fixtures()
                .resolve("tests/assemblyscript/testsuite/wasm32-wasip1/proc_exit-failure.wasm"));
        assertEquals(33, exit.exitCode());
    }

    @Test
    void aNonZeroExitIsJudgedFromTheFunctionFailedProblem() throws Exception {
        WasiTest test = new WasiTest("c", "exits", Path.of("exits.wasm"), List.of(), Map.of(), List.of(), 3,
                Optional.empty(), Optional.empty());
        byte[] problem = """
                {"type":"https://sluice.dev/problems/function-failed","status":502,"exit-code":3}"""
                .getBytes(StandardCharsets.UTF_8);
        assertEquals(Outcome.PASSED, SuiteTenant.judge(test, false, 502, problem).outcome());
        assertEquals(Outcome.WRONG_EXIT, SuiteTenant.judge(test, false, 200, new byte[0]).outcome());
    }

    @Test
    void expectedStdoutIsComparedAsTheGatewaySendsIt() {
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), SuiteTenant.expectedBody("hello"));
        assertArrayEquals("body".getBytes(StandardCharsets.UTF_8),
                SuiteTenant.expectedBody("Content-Type: text/html\n\nbody"), "a header block is not in the body");
    }

    private static Path fixtures() throws URISyntaxException {
        return Path.of(WasiTestsuiteTest.class.getResource("/wasi-testsuite/LICENSE").toURI()).getParent();
    }
}
