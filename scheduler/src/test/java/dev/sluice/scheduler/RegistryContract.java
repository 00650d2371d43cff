package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.SchedulerException.ModuleRejected.Reason;
import dev.sluice.scheduler.assets.AssetTree;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.files.AssetMount;
import dev.sluice.scheduler.shared.ModuleStore;
import dev.sluice.scheduler.testing.ConcurrentDeploys;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link FunctionRegistry} contract, run on every backend: the disk registry ({@code tenancy-store=file}) and the
 * shared one in Redis. Each backend says where its module bytes live and whether it stored anything at all.
 */
abstract class RegistryContract {
    static final Instant NOW = Instant.parse("2030-01-02T03:04:05Z");
    static final SchedulerSettings SETTINGS = new SchedulerSettings(2, 1, 4, 1 << 20, 64 << 10, 8L << 20);

    LocalScheduler scheduler;

    /** A scheduler (registry and in-process dispatcher) on this backend, closed after the test. */
    abstract LocalScheduler open();

    /** Where this backend keeps module bytes. */
    abstract ModuleStore modules();

    /** Whether the backend holds no trace of any function or module (files or keys). */
    abstract boolean storesNothing() throws Exception;

    @AfterEach
    void closeScheduler() throws Exception {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    static DeployRequest request(String tenant, String name, byte[] module) {
        return new DeployRequest(tenant, FunctionName.of(name), module, 16, 1_000, 1 << 20, 1_000_000);
    }

    @Test
    void aDeployedFunctionIsFoundListedAndInvocable() {
        byte[] hello = TestModules.load("hello");
        var deployment = open().functions().deploy(request("acme", "greet", hello));

        FunctionSpec spec = deployment.spec();
        assertTrue(deployment.created());
        assertEquals(Digests.sha256(hello), spec.digest());
        assertEquals(hello.length, spec.size());
        assertEquals(NOW, spec.deployedAt());
        assertEquals(java.util.Optional.of(spec), scheduler.functions().find("acme", FunctionName.of("greet")));
        assertEquals(List.of(spec), scheduler.functions().list("acme"));
        assertTrue(modules().get(spec.digest()).isPresent());
        var result = scheduler.dispatcher().invoke(spec,
                new InvocationRequest(new byte[0], List.of("greet"), Map.of("QUERY_STRING", "x=1")));
        assertEquals("Content-Type: text/plain\n\nhello x=1\n", new String(result.stdout(), StandardCharsets.UTF_8));
    }

    @Test
    void redeployReplacesTheFunctionAndDropsTheOldModule() {
        var functions = open().functions();
        var first = functions.deploy(request("acme", "f", TestModules.load("hello"))).spec();
        var second = functions.deploy(request("acme", "f", TestModules.load("plain")));

        assertFalse(second.created());
        assertEquals(List.of(second.spec()), functions.list("acme"));
        assertTrue(modules().get(first.digest()).isEmpty(), "no function uses the first module any more");
    }

    @Test
    void rejectedModulesLeaveNoTrace() throws Exception {
        var functions = open().functions();
        byte[] hello = TestModules.load("hello");
        List<DeployRequest> bad = List.of(
                new DeployRequest("acme", FunctionName.of("f"), hello, 16, 1_000, hello.length - 1, 1_000_000),
                request("acme", "f", "this is not wasm at all".getBytes(StandardCharsets.UTF_8)),
                request("acme", "f", java.util.Arrays.copyOf(hello, hello.length / 2)),
                request("acme", "f", TestModules.load("bad-import")),
                request("acme", "f", TestModules.load("unknown-wasi")),
                request("acme", "f", TestModules.load("no-start")),
                request("acme", "f", TestModules.load("huge-memory")));
        List<Reason> reasons = new ArrayList<>();
        for (DeployRequest request : bad) {
            reasons.add(assertThrows(ModuleRejected.class, () -> functions.deploy(request)).reason());
        }

        assertEquals(List.of(Reason.TOO_LARGE, Reason.MALFORMED, Reason.MALFORMED, Reason.FORBIDDEN_IMPORT,
                Reason.FORBIDDEN_IMPORT, Reason.MALFORMED, Reason.TOO_MUCH_MEMORY), reasons);
        assertEquals(List.of(), functions.list("acme"));
        assertTrue(storesNothing());
    }

    @Test
    void invalidLimitsAreRejectedBeforeParsing() throws Exception {
        var request = new DeployRequest("acme", FunctionName.of("f"), new byte[] {1, 2}, 0, 1_000, 1 << 20, 1_000_000);
        var e = assertThrows(SchedulerException.InvalidInput.class, () -> open().functions().deploy(request));
        assertTrue(e.getMessage().startsWith("memory-pages: 0"), e.getMessage());
        assertTrue(storesNothing());
    }

    @Test
    void aModuleIsDeletedOnlyWhenNoFunctionOfAnyTenantUsesIt() throws Exception {
        var functions = open().functions();
        byte[] plain = TestModules.load("plain");
        String digest = functions.deploy(request("acme", "a", plain)).spec().digest();
        functions.deploy(request("globex", "b", plain));

        assertTrue(functions.delete("acme", FunctionName.of("a")));
        assertTrue(modules().get(digest).isPresent(), "still used by globex/b");
        assertTrue(functions.delete("globex", FunctionName.of("b")));
        assertTrue(modules().get(digest).isEmpty());
        assertFalse(functions.delete("globex", FunctionName.of("b")));
        assertTrue(storesNothing());
    }

    @Test
    void deleteAllRemovesOnlyThatTenantsFunctions() throws Exception {
        var functions = open().functions();
        functions.deploy(request("acme", "a", TestModules.load("plain")));
        String hello = functions.deploy(request("acme", "b", TestModules.load("hello"))).spec().digest();
        var kept = functions.deploy(request("globex", "a", TestModules.load("plain"))).spec();

        functions.deleteAll("acme");

        assertEquals(List.of(), functions.list("acme"));
        assertEquals(List.of(kept), functions.list("globex"));
        assertTrue(modules().get(hello).isEmpty());
        assertTrue(modules().get(kept.digest()).isPresent());
        functions.deleteAll("globex");
        assertTrue(storesNothing());
    }

    @Test
    void listIsOrderedByName() {
        var functions = open().functions();
        functions.deploy(request("acme", "zeta", TestModules.load("plain")));
        functions.deploy(request("acme", "alpha", TestModules.load("plain")));

        assertEquals(List.of("alpha", "zeta"), functions.list("acme").stream().map(f -> f.name().value()).toList());
    }

    @Test
    void aNewFunctionBeyondTheTenantsLimitIsRefusedEvenWhenDeploysRace() throws Exception {
        var registry = open().functions();
        // Half the deploys bring a module no other function uses: a refused one must not leave it stored.
        assertEquals(3, ConcurrentDeploys.taken(8, i -> registry, i -> new DeployRequest("acme",
                FunctionName.of("f" + i), TestModules.load(i % 2 == 0 ? "plain" : "hello"), 16, 1_000, 1 << 20,
                1_000_000, 3)));
        List<FunctionSpec> stored = registry.list("acme");
        assertEquals(3, stored.size());
        for (String digest : List.of(Digests.sha256(TestModules.load("plain")),
                Digests.sha256(TestModules.load("hello")))) {
            assertEquals(stored.stream().anyMatch(f -> f.digest().equals(digest)), modules().get(digest).isPresent(),
                    "a module is stored exactly when a stored function uses it: " + digest);
        }
        FunctionName existing = stored.getFirst().name();
        assertFalse(registry.deploy(new DeployRequest("acme", existing, TestModules.load("echo"), 16, 1_000,
                1 << 20, 1_000_000, 3)).created(), "replacing a function is always allowed");
    }

    /** Stores, behind the registry's back, a record as written before assets existed (the registry not open). */
    abstract void storeRecordWithoutAssets(String tenant, String name) throws Exception;

    private static final FunctionName F = FunctionName.of("f");

    static AttachedAssets assets(int i) {
        return new AttachedAssets(new AssetTree("sha256:" + String.format("%064x", i), i + 1, 10L * i),
                new AssetMount(i % 2 == 0 ? "/assets" : "/site-" + i, i % 3 == 0));
    }

    @Test
    void assetsAreSetAndRemovedAloneKeptByARedeployAndSurviveARestart() {
        var functions = open().functions();
        FunctionSpec deployed = functions.deploy(request("acme", "f", TestModules.load("hello"))).spec();
        assertEquals(Optional.empty(), deployed.assets());
        AttachedAssets site = assets(1);
        var change = functions.attach("acme", F, Optional.of(site)).orElseThrow();
        assertEquals(deployed, change.before());
        assertEquals(deployed.withAssets(Optional.of(site)), change.after());
        assertEquals(Optional.of(change.after()), functions.find("acme", F));
        assertEquals(Optional.empty(), functions.attach("acme", FunctionName.of("missing"), Optional.of(site)),
                "no function, no assets");
        assertEquals(Optional.empty(), functions.attach("other", F, Optional.of(site)), "another tenant's name");

        byte[] plain = TestModules.load("plain");
        functions.deploy(request("acme", "f", plain));
        FunctionSpec redeployed = functions.find("acme", F).orElseThrow();
        assertEquals(Digests.sha256(plain), redeployed.digest());
        assertEquals(Optional.of(site), redeployed.assets(), "a deploy of a new module keeps the assets");
        assertEquals(List.of(redeployed), functions.list("acme"));

        scheduler.close();
        var reopened = open().functions();
        assertEquals(Optional.of(redeployed), reopened.find("acme", F), "stored with the function");
        var removed = reopened.attach("acme", F, Optional.empty()).orElseThrow();
        assertEquals(redeployed.withAssets(Optional.empty()), removed.after(), "the module stays");
        assertEquals(Optional.of(removed.after()), reopened.find("acme", F));
    }

    @Test
    void aDeployAndAnAssetsChangeRacingKeepBothWrites() throws Exception {
        var functions = open().functions();
        byte[][] modules = {TestModules.load("hello"), TestModules.load("plain")};
        functions.deploy(request("acme", "f", modules[0]));
        int rounds = 12;
        var start = new java.util.concurrent.CountDownLatch(1);
        try (var threads = java.util.concurrent.Executors.newFixedThreadPool(2)) {
            var deploys = threads.submit(() -> {
                start.await();
                for (int i = 1; i <= rounds; i++) {
                    functions.deploy(request("acme", "f", modules[i % 2]));
                }
                return null;
            });
            var uploads = threads.submit(() -> {
                start.await();
                for (int i = 1; i <= rounds; i++) {
                    functions.attach("acme", F, Optional.of(assets(i)));
                }
                return null;
            });
            start.countDown();
            deploys.get(60, java.util.concurrent.TimeUnit.SECONDS);
            uploads.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        FunctionSpec last = functions.find("acme", F).orElseThrow();
        assertEquals(Digests.sha256(modules[rounds % 2]), last.digest(), "the last deploy's module");
        assertEquals(Optional.of(assets(rounds)), last.assets(), "the last upload's assets");
    }

    @Test
    void aRecordWrittenBeforeAssetsExistedReadsAsWithoutAssets() throws Exception {
        storeRecordWithoutAssets("acme", "old");
        FunctionSpec old = open().functions().find("acme", FunctionName.of("old")).orElseThrow();
        assertEquals(Optional.empty(), old.assets());
        assertEquals(List.of(old), scheduler.functions().list("acme"));
        var change = scheduler.functions().attach("acme", FunctionName.of("old"), Optional.of(assets(2)));
        assertEquals(Optional.of(assets(2)), change.orElseThrow().after().assets());
        assertEquals(old.fuel(), scheduler.functions().find("acme", FunctionName.of("old")).orElseThrow().fuel());
    }
}
