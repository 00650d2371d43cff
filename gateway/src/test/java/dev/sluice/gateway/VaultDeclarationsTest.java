package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.config.live.Candidate;
import dev.sluice.config.live.ConfigListener;
import dev.sluice.config.vault.KvEntry;
import dev.sluice.config.vault.VaultTree;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.auth.KeyFormat;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.managed.Declarations;
import dev.sluice.tenancy.managed.DeclaredKey;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.quota.FailPolicy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** Vault's tenancy tree read as declarations: every member, every refusal naming the path and member, uid stability. */
class VaultDeclarationsTest {
    private static final SluiceConfig CONFIG = SluiceConfig.defaults().with(Map.of(
            "vault-address", "http://127.0.0.1:8200", "default-burst", "33", "default-requests-per-second", "11"));
    private static final Instant CREATED = Instant.parse("2026-03-01T10:15:30.123456789Z");
    private static final String HASH = KeyFormat.hex(KeyFormat.sha256("a-secret-made-by-terraform"));
    private static final String KEY_ID = "0123456789abcdef";

    private static KvEntry entry(String path, String json) {
        return new KvEntry("sluice/" + path, 1, CREATED, json);
    }

    private static VaultTree tree(String... pathsAndJson) {
        Map<String, KvEntry> entries = new LinkedHashMap<>();
        for (int i = 0; i < pathsAndJson.length; i += 2) {
            entries.put(pathsAndJson[i], entry(pathsAndJson[i], pathsAndJson[i + 1]));
        }
        return VaultTree.of(entries);
    }

    private static Declarations read(String... pathsAndJson) {
        return VaultDeclarations.from(tree(pathsAndJson), CONFIG);
    }

    private static String refusal(String... pathsAndJson) {
        return assertThrows(ConfigException.class, () -> read(pathsAndJson)).getMessage();
    }

    @Test
    void aPlanTakesEveryLimitKeyAsTheAdminApiAndItsOmittedKeysFromTheDefaults() {
        Declarations declared = read("plans/pro", """
                {"requests-per-second": 50, "burst": 100, "max-concurrency": 4, "max-fuel-per-call": 5000000,
                 "fuel-per-day": 900000000, "invocations-per-minute": 600, "invocations-per-day": 10000,
                 "max-memory-pages": 32, "max-timeout-ms": 2000, "max-module-bytes": 1048576, "max-functions": 7,
                 "quota-fail-policy": "fail-closed"}""", "plans/starter", "{\"burst\": 5}");
        assertEquals(2, declared.plans().size());
        Declarations.DeclaredPlan pro = declared.plans().get(0);
        assertEquals("pro", pro.plan().name());
        assertEquals("vault secret/sluice/plans/pro", pro.source());
        TenantLimits limits = pro.plan().limits();
        assertEquals(50, limits.requestsPerSecond());
        assertEquals(100, limits.burst());
        assertEquals(4, limits.maxConcurrency());
        assertEquals(5_000_000, limits.maxFuelPerCall());
        assertEquals(900_000_000, limits.fuelPerDay());
        assertEquals(600, limits.invocationsPerMinute());
        assertEquals(10_000, limits.invocationsPerDay());
        assertEquals(32, limits.maxMemoryPages());
        assertEquals(2000, limits.maxTimeoutMs());
        assertEquals(1_048_576, limits.maxModuleBytes());
        assertEquals(7, limits.maxFunctions());
        assertEquals(Optional.of(FailPolicy.FAIL_CLOSED), limits.quotaFailPolicy());

        TenantLimits starter = declared.plans().get(1).plan().limits();
        assertEquals(5, starter.burst());
        assertEquals(11, starter.requestsPerSecond(), "left out: default-requests-per-second");
        assertEquals(LimitsJson.defaults(CONFIG).with(dev.sluice.tenancy.plan.LimitOverrides.none()
                .with(Limit.BURST, 5)), starter);
    }

    @Test
    void valuesWrittenByVaultKvPutAsStringsReadLikeTerraformsNumbersAndArrays() {
        Declarations strings = read("plans/pro", "{\"burst\": \"40\", \"max-functions\": \"0\"}",
                "tenants/acme", "{\"plan\": \"pro\", \"max-concurrency\": \"3\"}",
                "keys/acme/" + KEY_ID, "{\"name\": \"ci\", \"sha256\": \"" + HASH
                        + "\", \"scopes\": \"invoke, read\", \"functions\": \"hello,resize\"}");
        assertEquals(40, strings.plans().get(0).plan().limits().burst());
        assertEquals(0, strings.plans().get(0).plan().limits().maxFunctions());
        assertEquals(3, strings.tenants().get(0).tenant().overrides().get(Limit.MAX_CONCURRENCY).getAsLong());
        DeclaredKey key = strings.keys().get(0);
        assertEquals(EnumSet.of(Scope.INVOKE, Scope.READ), key.spec().scopes());
        assertEquals(Optional.of(Set.of("hello", "resize")), key.spec().functions());
    }

    @Test
    void aTenantHasItsPlanAndOverridesAndAUidDerivedFromItsNameAndCreationTime() throws Exception {
        Declarations declared = read("plans/pro", "{}",
                "tenants/acme", "{\"plan\": \"pro\", \"burst\": 7, \"quota-fail-policy\": \"fail-open\"}",
                "tenants/globex", "{}");
        Tenant acme = declared.tenants().get(0).tenant();
        assertEquals(TenantId.of("acme"), acme.id());
        assertEquals(Optional.of("pro"), acme.plan());
        assertEquals(7, acme.overrides().get(Limit.BURST).getAsLong());
        assertEquals(Optional.of(FailPolicy.FAIL_OPEN), acme.overrides().quotaFailPolicy());
        assertEquals(CREATED, acme.createdAt());
        assertEquals("vault secret/sluice/tenants/acme", declared.tenants().get(0).source());
        Tenant globex = declared.tenants().get(1).tenant();
        assertEquals(Optional.empty(), globex.plan());
        assertTrue(globex.overrides().isEmpty());

        byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest(("vault:acme:" + CREATED).getBytes(StandardCharsets.UTF_8));
        assertEquals("acme." + HexFormat.of().formatHex(digest, 0, 16), acme.uid().value(),
                "the documented derivation, so every gateway and every restart computes the same uid");
    }

    @Test
    void theUidIsStableForOneCreationAndNewForAPathDestroyedAndWrittenAgain() {
        Declarations first = read("tenants/acme", "{}");
        Declarations again = read("tenants/acme", "{\"burst\": 9}");
        assertEquals(first.tenants().get(0).tenant().uid(), again.tenants().get(0).tenant().uid(),
                "a new version of the same path keeps the uid");
        Declarations recreated = VaultDeclarations.from(VaultTree.of(Map.of("tenants/acme",
                new KvEntry("sluice/tenants/acme", 1, CREATED.plusSeconds(60), "{}"))), CONFIG);
        assertNotEquals(first.tenants().get(0).tenant().uid(), recreated.tenants().get(0).tenant().uid());
        assertNotEquals(VaultDeclarations.uid(TenantId.of("acme"), CREATED),
                VaultDeclarations.uid(TenantId.of("acme2"), CREATED));
    }

    @Test
    void aKeyCarriesItsIdHashScopesFunctionsAndExpiry() {
        Declarations declared = read("tenants/acme", "{}", "keys/acme/" + KEY_ID, """
                {"name": "deploy bot", "sha256": "%s", "scopes": ["deploy", "read"], "functions": ["hello"],
                 "expires-at": "2030-01-01T02:00:00+02:00"}""".formatted(HASH.toUpperCase()));
        DeclaredKey key = declared.keys().get(0);
        assertEquals(KEY_ID, key.id());
        assertEquals(TenantId.of("acme"), key.tenant());
        assertEquals(HASH, KeyFormat.hex(key.secretHash()), "upper-case hex reads as the same hash");
        assertEquals("deploy bot", key.spec().name());
        assertEquals(EnumSet.of(Scope.DEPLOY, Scope.READ), key.spec().scopes());
        assertEquals(Optional.of(Set.of("hello")), key.spec().functions());
        assertEquals(Optional.of(Instant.parse("2030-01-01T00:00:00Z")), key.spec().expiresAt());
        assertEquals(CREATED, key.createdAt());
        assertEquals("vault secret/sluice/keys/acme/" + KEY_ID, key.source());

        DeclaredKey plain = read("tenants/acme", "{}", "keys/acme/" + KEY_ID,
                "{\"name\": \"ci\", \"sha256\": \"" + HASH + "\"}").keys().get(0);
        assertEquals(Scope.ALL, plain.spec().scopes(), "no scopes: every scope, as the admin API issues");
        assertEquals(Optional.empty(), plain.spec().functions());
        assertEquals(Optional.empty(), plain.spec().expiresAt());
    }

    @Test
    void anInvalidPlanIsRefusedNamingThePathAndTheMember() {
        assertEquals("vault secret/sluice/plans/pro: burst: 0 (expected: > 0)",
                refusal("plans/pro", "{\"burst\": 0}"));
        assertEquals("vault secret/sluice/plans/pro: max-memory-pages: 70000 (expected: <= 65536)",
                refusal("plans/pro", "{\"max-memory-pages\": 70000}"));
        assertEquals("vault secret/sluice/plans/pro: burst: \"many\" (expected: an integer)",
                refusal("plans/pro", "{\"burst\": \"many\"}"));
        assertEquals("vault secret/sluice/plans/pro: burst: 1.5 (expected: an integer)",
                refusal("plans/pro", "{\"burst\": 1.5}"));
        assertEquals("vault secret/sluice/plans/pro: quota-fail-policy: \"maybe\" (expected: fail-open or "
                + "fail-closed)", refusal("plans/pro", "{\"quota-fail-policy\": \"maybe\"}"));
        String unknown = refusal("plans/pro", "{\"brust\": 5}");
        assertTrue(unknown.startsWith("vault secret/sluice/plans/pro: unknown field 'brust' (expected one of: "),
                unknown);
        assertTrue(unknown.contains("burst") && !unknown.contains("plan,"), unknown);
        assertEquals("vault secret/sluice/plans/pro: data is not a JSON object", refusal("plans/pro", "[1]"));
        assertTrue(refusal("plans/pro", "{\"burst\": ").startsWith(
                "vault secret/sluice/plans/pro: data is not valid JSON ("));
    }

    @Test
    void anInvalidTenantIsRefusedNamingThePathAndTheMember() {
        assertEquals("vault secret/sluice/tenants/acme: plan: 5 (expected: a plan name)",
                refusal("tenants/acme", "{\"plan\": 5}"));
        assertEquals("vault secret/sluice/tenants/acme: plan: \"Pro\" (expected: [a-z0-9][a-z0-9-]{0,62})",
                refusal("tenants/acme", "{\"plan\": \"Pro\"}"));
        assertEquals("vault secret/sluice/tenants/acme: requests-per-second: -1 (expected: > 0)",
                refusal("tenants/acme", "{\"requests-per-second\": -1}"));
        String unknown = refusal("tenants/acme", "{\"owner\": \"bob\"}");
        assertTrue(unknown.startsWith("vault secret/sluice/tenants/acme: unknown field 'owner' (expected one of: "
                + "burst, "), unknown);
        assertTrue(unknown.contains("plan"), unknown);
    }

    @Test
    void anInvalidKeyIsRefusedNamingThePathAndTheMember() {
        String path = "keys/acme/" + KEY_ID;
        String where = "vault secret/sluice/" + path + ": ";
        String good = "\"name\": \"ci\", \"sha256\": \"" + HASH + "\"";
        assertTrue(refusal("tenants/acme", "{}", path, "{\"sha256\": \"" + HASH + "\"}")
                .startsWith(where + "name: missing"));
        assertTrue(refusal("tenants/acme", "{}", path, "{\"name\": 5, \"sha256\": \"" + HASH + "\"}")
                .startsWith(where + "name: 5 (expected:"));
        assertTrue(refusal("tenants/acme", "{}", path, "{\"name\": \"ci\"}").startsWith(where + "sha256: missing"));
        assertTrue(refusal("tenants/acme", "{}", path, "{\"name\": \"ci\", \"sha256\": 12}")
                .startsWith(where + "sha256: a number"));
        String tooShort = refusal("tenants/acme", "{}", path,
                "{\"name\": \"ci\", \"sha256\": \"" + HASH.substring(1) + "\"}");
        assertTrue(tooShort.startsWith(where + "sha256: 63 characters, not 64"), tooShort);
        String pasted = "sluice_sk_" + KEY_ID + "_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
        String secret = refusal("tenants/acme", "{}", path, "{\"name\": \"ci\", \"sha256\": \"" + pasted + "\"}");
        assertTrue(secret.startsWith(where + "sha256: "), secret);
        assertFalse(secret.contains("abcdefghij"), "a secret pasted instead of its hash is never echoed: " + secret);
        String notHex = refusal("tenants/acme", "{}", path,
                "{\"name\": \"ci\", \"sha256\": \"" + "g".repeat(64) + "\"}");
        assertTrue(notHex.startsWith(where + "sha256: 64 characters, not all hex digits"), notHex);
        assertEquals(where + "scopes: 'admin' (expected: invoke, deploy or read)",
                refusal("tenants/acme", "{}", path, "{" + good + ", \"scopes\": [\"admin\"]}"));
        assertTrue(refusal("tenants/acme", "{}", path, "{" + good + ", \"scopes\": []}")
                .startsWith(where + "scopes: empty"));
        assertEquals(where + "scopes: 3 (expected: a string)",
                refusal("tenants/acme", "{}", path, "{" + good + ", \"scopes\": [3]}"));
        assertEquals(where + "functions: 'Bad_Name' (expected: [a-z0-9][a-z0-9-]{0,62})",
                refusal("tenants/acme", "{}", path, "{" + good + ", \"functions\": [\"Bad_Name\"]}"));
        assertEquals(where + "expires-at: \"tomorrow\" (expected: an RFC 3339 time like 2030-01-01T00:00:00Z)",
                refusal("tenants/acme", "{}", path, "{" + good + ", \"expires-at\": \"tomorrow\"}"));
        assertTrue(refusal("tenants/acme", "{}", path, "{" + good + ", \"secret\": \"x\"}")
                .startsWith(where + "unknown field 'secret' (expected one of: expires-at, functions, name, scopes, "
                        + "sha256)"));
    }

    @Test
    void aKeyOfAnUndeclaredTenantOrAKeyIdDeclaredTwiceIsRefused() {
        String key = "{\"name\": \"ci\", \"sha256\": \"" + HASH + "\"}";
        assertEquals("vault secret/sluice/keys/acme/" + KEY_ID + ": tenant: 'acme' is not declared (expected: "
                + "secret/sluice/tenants/acme)", refusal("keys/acme/" + KEY_ID, key));
        String twice = refusal("tenants/acme", "{}", "tenants/globex", "{}", "keys/acme/" + KEY_ID, key,
                "keys/globex/" + KEY_ID, key);
        assertEquals("vault secret/sluice/keys/globex/" + KEY_ID + ": key id " + KEY_ID
                + " is declared twice (also in vault secret/sluice/keys/acme/" + KEY_ID + ")", twice);
    }

    @Test
    void pathsSluiceDoesNotReadAreIgnoredWithOneWarningEach() {
        List<String> warnings = new CopyOnWriteArrayList<>();
        Logger logger = Logger.getLogger(VaultDeclarations.class.getName());
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                warnings.add(record.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        logger.addHandler(handler);
        try {
            AtomicReference<Declarations> seen = new AtomicReference<>();
            ConfigListener listener = VaultDeclarations.listener(d -> {
                seen.set(d);
                return () -> { };
            });
            VaultTree tree = tree("plan/pro", "{}", "plans/Pro", "{}", "keys/acme/short", "{}",
                    "secrets/acme.0123/hello/TOKEN", "{\"value\": \"s3cret\"}", "config", "{\"default-burst\": \"5\"}",
                    "plans/ok", "{}");
            listener.prepare(new Candidate(CONFIG, tree, CONFIG, VaultTree.EMPTY, true));
            listener.prepare(new Candidate(CONFIG, tree, CONFIG, tree, false));
            assertEquals(List.of("ok"), seen.get().plans().stream().map(p -> p.plan().name()).toList());
            assertTrue(seen.get().tenants().isEmpty() && seen.get().keys().isEmpty());
            assertEquals(3, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).startsWith("vault secret/sluice/keys/acme/short: not a path Sluice reads"),
                    warnings.toString());
            assertTrue(warnings.stream().noneMatch(w -> w.contains("secrets/") || w.contains("s3cret")));
        } finally {
            logger.removeHandler(handler);
        }
    }

    @Test
    void theListenerHandsTheDeclarationsToPrepareAndTurnsItsRefusalIntoAConfigRefusal() {
        Runnable apply = () -> { };
        AtomicReference<Declarations> seen = new AtomicReference<>();
        ConfigListener accepting = VaultDeclarations.listener(d -> {
            seen.set(d);
            return apply;
        });
        VaultTree tree = tree("plans/pro", "{}", "tenants/acme", "{\"plan\": \"pro\"}");
        assertSame(apply, accepting.prepare(new Candidate(CONFIG, tree, CONFIG, VaultTree.EMPTY, true)));
        assertEquals(1, seen.get().tenants().size());

        ConfigListener named = VaultDeclarations.listener(d -> {
            throw new TenancyException.InvalidInput("vault secret/sluice/tenants/acme: plan: 'gold' is not declared");
        });
        assertEquals("vault secret/sluice/tenants/acme: plan: 'gold' is not declared", assertThrows(
                ConfigException.class, () -> named.prepare(new Candidate(CONFIG, tree, CONFIG, tree, false)))
                .getMessage());
        ConfigListener bare = VaultDeclarations.listener(d -> {
            throw new TenancyException.InvalidInput("plan: 'gold' is not declared");
        });
        assertEquals("vault secret/sluice: plan: 'gold' is not declared", assertThrows(ConfigException.class,
                () -> bare.prepare(new Candidate(CONFIG, tree, CONFIG, tree, false))).getMessage());

        ConfigListener invalid = VaultDeclarations.listener(d -> {
            throw new AssertionError("an invalid tree never reaches prepare");
        });
        VaultTree bad = tree("plans/pro", "{\"burst\": 0}");
        assertThrows(ConfigException.class,
                () -> invalid.prepare(new Candidate(CONFIG, bad, CONFIG, VaultTree.EMPTY, false)));
    }
}
