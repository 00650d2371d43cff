package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.testing.VaultTestServer;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.auth.KeyFormat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three gateway processes on one real Redis, configured from one Vault (the test-support fake, over real HTTP, logged
 * in by AppRole with a 4-second token that can be renewed for 8 seconds at most, so every gateway logs in again every
 * few seconds all along), as a provider runs them: the plan, tenant and key exist only in Vault. It proves, in order:
 * a plan change written to Vault is in force on all three within the poll period (the test prints how long it took);
 * an invalid change is refused everywhere, named in {@code /admin/v1/config}, and the old plan keeps serving; with
 * Vault away for a minute no request fails — function secrets included — and readiness stays 200 while the
 * configuration shows {@code DEGRADED}; once Vault is back the gateways log in again (their tokens expired meanwhile)
 * and the next change applies; and for 20 s of traffic with tokens expiring all along, each gateway renews and logs in
 * again with no request noticing. No gateway ever prints a token, the AppRole secret id or a function secret.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class VaultClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern QUOTA = Pattern.compile("\"rate\";q=(\\d+)");
    private static final String PLAN = "secret/sluice/plans/basic";
    private static final Duration AWAY = Duration.ofSeconds(Long.getLong("sluice.vault-away-seconds", 60));

    @TempDir
    Path dir;
    @RegisterExtension
    final Processes processes = new Processes();
    private VaultTestServer vault;

    @AfterEach
    void stopVault() {
        if (vault != null) {
            vault.close();
        }
    }

    @Test
    void threeGatewaysFollowVaultLiveAndRideOutItsAbsence() throws Exception {
        vault = VaultTestServer.start(InstantSource.system());
        vault.addAppRole("sluice-role", "sluice-secret-id");
        vault.loginTtl(Duration.ofSeconds(4));
        vault.loginMaxTtl(Duration.ofSeconds(8));
        String key = declareTenantWithKey();
        vault.put(PLAN, Map.of("requests-per-second", 1000, "burst", 1000));

        List<GatewayProcess> gateways = gateways();
        GatewayProcess a = gateways.get(0);
        expect(201, HttpRequest.newBuilder(a.uri("/v1/functions/env")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/wasm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(TestModules.load("env"))));
        expect(201, HttpRequest.newBuilder(a.uri("/v1/functions/env/secrets/UPSTREAM_TOKEN"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"value\": \"s3cr3t-upstream\"}")));
        for (GatewayProcess gateway : gateways) {
            HttpResponse<String> first = until(() -> invoke(gateway, key), r -> r.statusCode() == 200);
            assertEquals(200, first.statusCode(), gateway.name + ": " + first.body());
            assertTrue(first.body().contains("UPSTREAM_TOKEN=s3cr3t-upstream"), first.body());
            assertEquals(1000, quota(first), gateway.name + ": the plan from Vault is in force");
        }

        // 1. A plan change written to Vault is in force on every gateway within the poll period.
        long written = System.nanoTime();
        vault.put(PLAN, Map.of("requests-per-second", 777, "burst", 777));
        for (GatewayProcess gateway : gateways) {
            HttpResponse<String> reply = until(() -> invoke(gateway, key), r -> quota(r) == 777);
            assertEquals(777, quota(reply), gateway.name + ": " + reply.headers().map());
        }
        long inForceMillis = (System.nanoTime() - written) / 1_000_000;
        System.out.printf("vault cluster: plan change in force on 3 gateways %d ms after the write "
                + "(config-poll-ms 250)%n", inForceMillis);
        assertTrue(inForceMillis < 15_000, inForceMillis + " ms");

        // 2. An invalid change is refused on every gateway, named, and the old plan keeps serving.
        vault.put(PLAN, Map.of("requests-per-second", 0, "burst", 777));
        for (GatewayProcess gateway : gateways) {
            JsonNode config = untilConfig(gateway, c -> c.path("state").asText().equals("DEGRADED"));
            assertEquals("DEGRADED", config.path("state").asText(), gateway.name + ": " + config);
            String reason = config.path("reason").asText();
            assertTrue(reason.contains("plans/basic") && reason.contains("requests-per-second"), reason);
            HttpResponse<String> reply = invoke(gateway, key);
            assertEquals(200, reply.statusCode(), reply.body());
            assertEquals(777, quota(reply), "the last good plan serves");
        }
        vault.put(PLAN, Map.of("requests-per-second", 555, "burst", 555));
        for (GatewayProcess gateway : gateways) {
            assertEquals(555, quota(until(() -> invoke(gateway, key), r -> quota(r) == 555)), gateway.name);
            assertEquals("OK", untilConfig(gateway, c -> c.path("state").asText().equals("OK"))
                    .path("state").asText(), gateway.name);
        }

        // 3. Vault away for a minute: no request fails for it; ready, with the configuration DEGRADED.
        vault.goAway();
        long awayUntil = System.nanoTime() + AWAY.toNanos();
        int calls = 0;
        List<String> failures = new ArrayList<>();
        boolean degradedSeen = false;
        while (System.nanoTime() < awayUntil) {
            for (GatewayProcess gateway : gateways) {
                HttpResponse<String> reply = invoke(gateway, key);
                calls++;
                if (reply.statusCode() != 200 || !reply.body().contains("UPSTREAM_TOKEN=s3cr3t-upstream")) {
                    failures.add(gateway.name + " " + reply.statusCode() + " " + reply.body());
                }
            }
            HttpResponse<String> ready = gateways.get(calls % 3).ready(processes.http);
            assertEquals(200, ready.statusCode(), "Vault away leaves the gateway ready: " + ready.body());
            degradedSeen |= JSON.readTree(ready.body()).path("config").path("state").asText().equals("DEGRADED");
            Thread.sleep(100); // a steady trickle of real traffic over the outage
        }
        System.out.printf("vault cluster: Vault away for %d s, %d invocations, %d failed%n", AWAY.toSeconds(),
                calls, failures.size());
        assertEquals(List.of(), failures, "no request fails while Vault is away");
        assertTrue(degradedSeen, "readiness shows the configuration DEGRADED while Vault is away");

        // 4. Vault back: the gateways log in again (their tokens expired meanwhile) and follow the next change.
        long loginsBefore = vault.count("POST", "auth/approle/login") + vault.count("PUT", "auth/approle/login");
        vault.comeBack();
        long back = System.nanoTime();
        vault.put(PLAN, Map.of("requests-per-second", 444, "burst", 444));
        for (GatewayProcess gateway : gateways) {
            // The gateways backed off while Vault was away (polls and logins, each up to 10 s): allow for both.
            HttpResponse<String> reply = until(() -> invoke(gateway, key), r -> quota(r) == 444, Duration.ofSeconds(40));
            assertEquals(444, quota(reply), gateway.name);
            assertEquals("OK", untilConfig(gateway, c -> c.path("state").asText().equals("OK"))
                    .path("state").asText(), gateway.name);
        }
        System.out.printf("vault cluster: Vault back, a change written then in force on 3 gateways after %d ms%n",
                (System.nanoTime() - back) / 1_000_000);
        long logins = vault.count("POST", "auth/approle/login") + vault.count("PUT", "auth/approle/login");
        assertTrue(logins >= loginsBefore + 3, "each gateway logged in again: " + loginsBefore + " -> " + logins);

        // 5. Tokens expiring all along with Vault up: renewed, then replaced by new logins, and no request notices.
        long loginsThen = logins;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<String> failed = new ArrayList<>();
        int served = 0;
        while (System.nanoTime() < until) {
            for (GatewayProcess gateway : gateways) {
                HttpResponse<String> reply = invoke(gateway, key);
                served++;
                if (reply.statusCode() != 200 || !reply.body().contains("UPSTREAM_TOKEN=s3cr3t-upstream")) {
                    failed.add(gateway.name + " " + reply.statusCode() + " " + reply.body());
                }
            }
            Thread.sleep(100); // real time must pass for real tokens to expire
        }
        logins = vault.count("POST", "auth/approle/login") + vault.count("PUT", "auth/approle/login");
        System.out.printf("vault cluster: 20 s with Vault up, %d invocations, %d failed, %d new AppRole logins "
                + "(%d in all; 4 s tokens, 8 s max TTL)%n", served, failed.size(), logins - loginsThen, logins);
        assertEquals(List.of(), failed, "no request notices a token being replaced");
        assertTrue(logins - loginsThen >= 6, "each gateway logged in again at least twice: " + (logins - loginsThen));

        // Nothing secret ever reached a gateway's output: no Vault token, no AppRole secret id, no secret value.
        for (GatewayProcess gateway : gateways) {
            String output = gateway.output();
            for (String token : vault.tokensIssued()) {
                assertTrue(!output.contains(token), gateway.name + " printed a Vault token");
            }
            assertTrue(!output.contains("sluice-secret-id"), gateway.name + " printed the AppRole secret id");
            assertTrue(!output.contains("s3cr3t-upstream"), gateway.name + " printed a function secret");
        }
    }

    /** Tenant acme with one key, declared in Vault as Terraform writes them; returns the key to present. */
    private String declareTenantWithKey() {
        SecureRandom random = new SecureRandom();
        String id = KeyFormat.newId(random);
        String secret = KeyFormat.newSecret(random);
        vault.put("secret/sluice/tenants/acme", Map.of("plan", "basic"));
        vault.put("secret/sluice/keys/acme/" + id, Map.of("name", "ci",
                "sha256", KeyFormat.hex(KeyFormat.sha256(secret))));
        return "sluice_sk_" + id + "_" + secret;
    }

    private List<GatewayProcess> gateways() throws Exception {
        Path roleId = Files.writeString(dir.resolve("role-id"), "sluice-role\n");
        Path secretId = Files.writeString(dir.resolve("secret-id"), "sluice-secret-id\n");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.putAll(Map.of("port", "0", "workers", "2", "tenancy-store", "redis", "quota-store", "redis",
                "redis-uri", processes.redis().uri(), "quota-replicas", "3", "config-poll-ms", "250"));
        settings.putAll(Map.of("vault-address", vault.address(), "vault-auth", "approle",
                "vault-role-id-file", roleId.toString(), "vault-secret-id-file", secretId.toString()));
        List<GatewayProcess> gateways = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            gateways.add(processes.start(GatewayProcess.launch(name, dir.resolve(name), settings)));
        }
        for (GatewayProcess gateway : gateways) {
            gateway.awaitPort(Duration.ofSeconds(120));
            gateway.awaitReady(processes.http, Duration.ofSeconds(60));
        }
        return gateways;
    }

    private HttpResponse<String> invoke(GatewayProcess gateway, String key) {
        return send(HttpRequest.newBuilder(gateway.uri("/v1/functions/env/invoke"))
                .header("Authorization", "Bearer " + key).GET());
    }

    /** The requests-per-second quota a response was counted against, from its RateLimit-Policy header; -1 if none. */
    private static long quota(HttpResponse<String> reply) {
        Matcher m = QUOTA.matcher(reply.headers().firstValue("RateLimit-Policy").orElse(""));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private JsonNode untilConfig(GatewayProcess gateway, Predicate<JsonNode> turned) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        JsonNode config;
        while (!turned.test(config = JSON.readTree(expect(200, gateway.admin("/admin/v1/config").GET())))
                && System.nanoTime() < deadline) {
            Thread.sleep(50); // another process converges in real time
        }
        return config;
    }

    private static HttpResponse<String> until(java.util.function.Supplier<HttpResponse<String>> ask,
                                              Predicate<HttpResponse<String>> turned) throws InterruptedException {
        return GatewaysShareFunctionsTest.until(ask, turned);
    }

    private static HttpResponse<String> until(java.util.function.Supplier<HttpResponse<String>> ask,
                                              Predicate<HttpResponse<String>> turned, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> reply;
        while (!turned.test(reply = ask.get()) && System.nanoTime() < deadline) {
            Thread.sleep(50); // other processes converge in real time
        }
        return reply;
    }

    private String expect(int status, HttpRequest.Builder request) {
        HttpResponse<String> reply = send(request);
        assertEquals(status, reply.statusCode(), reply.body());
        return reply.body();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        return GatewayProcess.send(processes.http, request.timeout(Duration.ofSeconds(30)));
    }
}
