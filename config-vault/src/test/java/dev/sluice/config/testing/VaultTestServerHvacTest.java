package dev.sluice.config.testing;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks {@link VaultTestServer} with a second, independent client: hvac (Debian's python3-hvac), which reads Vault's
 * API apart from vault-java-driver, so a wire-format mistake both the fake and the driver make shows here. A Python
 * script (src/test/resources/hvac/fidelity.py) runs each case and prints its result or the hvac exception it raised;
 * the expectations are what a real Vault answers. Runs with {@code /usr/bin/python3} (Debian's, where the package
 * installs hvac); skipped when it cannot import hvac, except in CI ({@code CI=true}), where that fails.
 */
class VaultTestServerHvacTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final String HINT = "python3-hvac is needed to check the Vault fake with an independent client: "
            + "apt-get install -y python3-hvac (.ci/run installs it)";

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-29T00:00:00Z"));
    private final InstantSource clock = now::get;

    @TempDir
    Path dir;

    @BeforeAll
    static void hvacIsThere() throws Exception {
        boolean present;
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import hvac").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            present = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            present = false;
        }
        if (!present && "true".equals(System.getenv("CI"))) {
            fail(HINT);
        }
        Assumptions.assumeTrue(present, HINT);
    }

    /** Everything Sluice's client does: token lookup and renewal, both logins, KV v2, expiry, sealed. */
    @Test
    void hvacReadsTheFakeAsItReadsVault() throws Exception {
        try (VaultTestServer vault = VaultTestServer.start(clock)) {
            String args = prepare(vault);

            Map<String, String> live = new LinkedHashMap<>();
            live.put("lookup_self_root", "{\"policies\":[\"root\"],\"renewable\":false,\"ttl\":0,\"type\":\"service\"}");
            live.put("is_authenticated", "true");
            live.put("is_authenticated_bad_token", "false");
            live.put("lookup_self_bad_token", "!Forbidden");
            live.put("lookup_self_ttl", "{\"creation_ttl\":3600,\"policies\":[\"sluice\"],\"renewable\":true,\"ttl\":3600}");
            live.put("renew_self_seconds", "{\"lease_duration\":1800,\"renewable\":true,\"same_token\":true}");
            live.put("approle_login", "{\"lease_duration\":3600,\"lookup_policies\":[\"default\"],"
                    + "\"policies\":[\"default\"],\"renewable\":true,\"token_set\":true}");
            live.put("approle_login_wrong_secret", "!InvalidRequest");
            live.put("kubernetes_login", "{\"lease_duration\":3600,\"lookup_policies\":[\"default\"],"
                    + "\"renewable\":true,\"role\":\"sluice\",\"token_set\":true}");
            live.put("kubernetes_login_wrong_jwt", "!Forbidden");
            live.put("write_1", "1");
            live.put("write_2", "2");
            live.put("write_other", "1");
            live.put("read_latest", "{\"data\":{\"burst\":300},\"deleted\":false,\"version\":2}");
            live.put("read_version_1",
                    "{\"data\":{\"burst\":200,\"requests-per-second\":100},\"deleted\":false,\"version\":1}");
            live.put("read_missing", "!InvalidPath");
            live.put("list_folder", "[\"plans/\",\"tenants/\"]");
            live.put("list_plans", "[\"pro\"]");
            live.put("list_missing", "!InvalidPath");
            live.put("read_metadata", "{\"current_version\":2,\"destroyed\":[false,false],\"versions\":[\"1\",\"2\"]}");
            live.put("delete_metadata_and_all_versions", "204");
            live.put("read_after_delete", "!InvalidPath");
            live.put("metadata_after_delete", "!InvalidPath");
            live.put("list_after_delete", "[\"tenants/\"]");
            live.put("write_config", "1");
            live.put("soft_delete", "204");
            live.put("read_soft_deleted", "!InvalidPath");
            live.put("metadata_soft_deleted", "{\"current_version\":1,\"deleted\":true}");
            live.put("list_soft_deleted", "[\"config\",\"tenants/\"]");
            List<Executable> checks = new ArrayList<>(expect("live", run("live", args), live));

            now.updateAndGet(t -> t.plus(Duration.ofHours(2))); // past the TTL token's expiry, renewals included
            checks.addAll(expect("expired", run("expired", args), Map.of(
                    "lookup_self_expired", "!Forbidden",
                    "renew_self_expired", "!Forbidden",
                    "read_with_expired", "!Forbidden")));

            vault.seal();
            checks.addAll(expect("sealed", run("sealed", args), Map.of(
                    "lookup_self_sealed", "!VaultDown",
                    "read_sealed", "!VaultDown",
                    "write_sealed", "!VaultDown",
                    "approle_login_sealed", "!VaultDown")));
            assertAll(checks);
        }
    }

    /**
     * Calls Sluice's client never makes (it renews without an increment and does not revoke), but another client of
     * the fake may: a duration-string increment, as Vault's renew-self takes, and revoke-self.
     */
    @Test
    void hvacRenewsByADurationAndRevokesItsTokenAsWithVault() throws Exception {
        try (VaultTestServer vault = VaultTestServer.start(clock)) {
            String args = prepare(vault);
            Map<String, String> beyond = new LinkedHashMap<>();
            beyond.put("renew_self_duration", "{\"lease_duration\":1200,\"renewable\":true,\"same_token\":true}");
            beyond.put("revoke_self", "{\"lookup_after\":\"Forbidden\",\"status\":204}");
            assertAll(expect("beyond", run("beyond", args), beyond));
        }
    }

    /** A root token, a token with a TTL of one hour, an AppRole and a Kubernetes role; the script's input. */
    private static String prepare(VaultTestServer vault) {
        String root = vault.issueToken(Duration.ZERO, "root");
        String ttl = vault.issueToken(Duration.ofHours(1), "sluice");
        vault.addAppRole("role-1", "secret-id-1");
        vault.addKubernetesRole("sluice", "jwt-of-the-service-account");
        return "{\"address\":\"" + vault.address() + "\",\"root_token\":\"" + root + "\",\"ttl_token\":\"" + ttl
                + "\",\"role_id\":\"role-1\",\"secret_id\":\"secret-id-1\",\"k8s_role\":\"sluice\","
                + "\"jwt\":\"jwt-of-the-service-account\"}";
    }

    /** One check per case: the value's JSON, or "!" and the hvac exception's class. */
    private static List<Executable> expect(String phase, Map<String, Object> results, Map<String, String> expected) {
        List<Executable> checks = new ArrayList<>();
        checks.add(() -> assertEquals(expected.keySet(), results.keySet(), phase + ": cases run"));
        expected.forEach((name, want) -> checks.add(() -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> result = (Map<String, Object>) results.get(name);
            assertTrue(result != null, phase + " " + name + ": no result");
            String got = Boolean.TRUE.equals(result.get("ok")) ? Json.write(result.get("value"))
                    : "!" + result.get("error") + " (" + result.get("message") + ")";
            if (want.startsWith("!")) {
                assertTrue(got.startsWith(want + " "), phase + " " + name + ": expected hvac." + want.substring(1)
                        + ", got " + got);
            } else {
                assertEquals(want, got, phase + " " + name);
            }
        }));
        return checks;
    }

    private Map<String, Object> run(String phase, String args) throws Exception {
        Path script = dir.resolve("fidelity.py");
        if (!Files.exists(script)) {
            try (InputStream in = getClass().getResourceAsStream("/hvac/fidelity.py")) {
                Files.write(script, in.readAllBytes());
            }
        }
        Path out = dir.resolve(phase + ".out");
        Path err = dir.resolve(phase + ".err");
        Path input = dir.resolve(phase + ".in");
        Files.writeString(input, args);
        Process process = new ProcessBuilder(PYTHON, script.toString(), phase).redirectInput(input.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(phase + ": the hvac script gave no answer in 180 s");
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8).strip();
        if (process.exitValue() != 0 || stdout.isEmpty()) {
            fail(phase + ": the hvac script failed (" + process.exitValue() + "): " + Files.readString(err));
        }
        return Json.parseObject(stdout);
    }
}
