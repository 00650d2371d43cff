package dev.sluice.config.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.FileConfigSource;
import dev.sluice.config.SluiceConfig;
import dev.sluice.config.vault.VaultException;
import dev.sluice.config.vault.VaultTree;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LiveConfigVaultTest extends LiveConfigCase {
    private static final String BASE = """
            vault-address = http://127.0.0.1:8200
            default-burst = 20
            default-requests-per-second = 10
            config-poll-ms = 5000
            """;

    private final InMemoryVaultMirror vault = new InMemoryVaultMirror();
    private static final String GHOST = "keys/ghost/00000000000000f3";
    private static final String GHOST_REFUSED = "vault secret/sluice/" + GHOST + ": tenant: 'ghost' is not declared";
    /** As the gateway's declarations listener: refuses a tree holding a key of an undeclared tenant. */
    private final ConfigListener declarations = candidate -> {
        if (candidate.tree().entries().containsKey(GHOST)) {
            throw new dev.sluice.config.ConfigException(GHOST_REFUSED);
        }
        return () -> {};
    };

    @BeforeEach
    void writeFile() throws Exception {
        file = Files.writeString(dir.resolve("sluice.conf"), BASE);
    }

    private LiveConfig start() {
        return start(SluiceConfig.from(FileConfigSource.load(file)));
    }

    /** Starts from {@code initial}, as the gateway does from its probe's configuration (Vault's config included). */
    private LiveConfig start(SluiceConfig initial) {
        live = LiveConfigs.create(Optional.of(file), initial, Optional.of(vault), clock, scheduler);
        live.addListener(listener);
        live.addListener(declarations);
        live.start();
        return live;
    }

    @Test
    void vaultsConfigOverlaysTheFileWithNumbersAndStringsAsTerraformWritesThem() {
        vault.put("config", "{\"default-burst\": 40, \"quota-fail-policy\": \"fail-closed\"}");
        start();

        assertEquals(40, live.current().defaultBurst(), "a JSON number");
        assertEquals("fail-closed", live.current().stores().quotaFailPolicy(), "a JSON string");
        assertEquals(10, live.current().defaultRequestsPerSecond(), "the file's value where Vault sets none");
        assertEquals(ConfigStatus.State.OK, live.status().state());
        assertEquals("vault", live.status().source());
        assertEquals(live.tree(), listener.lastApplied().tree());
        assertTrue(live.tree().entries().containsKey("config"));

        vault.put("config", "{\"default-burst\": \"60\", \"default-requests-per-second\": 15}");
        RefreshResult result = live.refresh();

        assertEquals(new RefreshResult.Applied(
                List.of("default-requests-per-second", "default-burst", "quota-fail-policy", "config"), List.of()),
                result);
        assertEquals(60, live.current().defaultBurst());
        assertEquals("fail-open", live.current().stores().quotaFailPolicy(), "removed from Vault: the file's again");

        vault.remove("config");
        live.refresh();
        assertEquals(20, live.current().defaultBurst(), "the file's value once Vault sets none");
    }

    @Test
    void aVaultValueOutOfRangeIsRefusedOnceNamingThePathAndKeyAndAFixApplies() {
        vault.put("config", "{\"default-burst\": 40}");
        start();
        int prepared = listener.prepared.size();
        vault.put("config", "{\"default-burst\": 0}");

        String reason = "vault secret/sluice/config: default-burst: 0 (expected: 1..1000000)";
        assertEquals(new RefreshResult.Refused(reason), live.refresh());
        assertEquals(40, live.current().defaultBurst());
        assertEquals(prepared, listener.prepared.size());
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state());
        assertEquals(Optional.of(reason), live.status().reason());

        // The poller finds the same version again: not refused (and logged) again.
        scheduler.runPending();
        scheduler.runPending();
        assertEquals(1, live.status().refusals());
        assertEquals(List.of("WARNING configuration refused, the last-known-good stays in force: " + reason),
                log.at(Level.WARNING));
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state());

        vault.put("config", "{\"default-burst\": 45}");
        assertEquals(new RefreshResult.Applied(List.of("default-burst", "config"), List.of()), live.refresh());
        assertEquals(45, live.current().defaultBurst());
        assertEquals(ConfigStatus.State.OK, live.status().state());
        assertEquals(Optional.empty(), live.status().reason());
    }

    @Test
    void aBootstrapKeyFromVaultIsRefusedNamingIt() {
        start();
        vault.put("config", "{\"default-burst\": 40, \"vault-address\": \"http://evil.example:8200\"}");

        RefreshResult.Refused refused = assertInstanceOf(RefreshResult.Refused.class, live.refresh());

        assertTrue(refused.reason().startsWith("vault secret/sluice/config: vault-address: not taken from Vault"),
                refused.reason());
        assertFalse(refused.reason().contains("evil"), "the value is not repeated");
        assertEquals(20, live.current().defaultBurst(), "the rest of the candidate is refused with it");
        assertEquals("http://127.0.0.1:8200", live.current().vault().address());
    }

    @Test
    void anUnknownKeyOrAValueOfTheWrongShapeFromVaultIsRefusedNamingIt() {
        start();
        vault.put("config", "{\"defualt-burst\": 40}");
        RefreshResult.Refused unknown = assertInstanceOf(RefreshResult.Refused.class, live.refresh());
        assertTrue(unknown.reason().startsWith("vault secret/sluice/config: unknown key defualt-burst"),
                unknown.reason());

        vault.put("config", "{\"default-burst\": [40]}");
        assertEquals(new RefreshResult.Refused(
                "vault secret/sluice/config: default-burst: an array (expected: a string or a number)"),
                live.refresh());

        vault.put("config", "{\"default-burst\": 4.5}");
        assertEquals(new RefreshResult.Refused(
                "vault secret/sluice/config: default-burst: '4.5' (expected: an integer)"), live.refresh());

        vault.put("config", "[1, 2]");
        RefreshResult.Refused notObject = assertInstanceOf(RefreshResult.Refused.class, live.refresh());
        assertTrue(notObject.reason().startsWith("vault secret/sluice/config: not a JSON object"),
                notObject.reason());
        assertEquals(20, live.current().defaultBurst());
        assertEquals(4, live.status().refusals());
    }

    @Test
    void vaultAwayKeepsTheLastKnownGoodDegradedBacksOffAndRecovers() {
        vault.put("config", "{\"default-burst\": 40}");
        start();
        assertEquals(Duration.ofSeconds(5), scheduler.lastDelay());
        vault.fail(new VaultException.Unavailable("GET sluice/config: connection refused", null));

        List<Duration> waits = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            scheduler.runPending();
            waits.add(scheduler.lastDelay());
        }

        assertEquals(List.of(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofSeconds(10), Duration.ofSeconds(10)), waits, "doubling from the period, up to 10 s");
        assertEquals(40, live.current().defaultBurst(), "the last-known-good stays");
        assertTrue(live.tree().entries().containsKey("config"));
        ConfigStatus status = live.status();
        assertEquals(ConfigStatus.State.DEGRADED, status.state());
        assertEquals(Optional.of("vault unavailable: GET sluice/config: connection refused"), status.reason());
        assertEquals(5, status.failures());
        assertEquals(1, log.at(Level.WARNING).size(), "logged once per outage, not at every retry");

        // refresh() does not wait for the backoff: it asks Vault at once.
        int polls = vault.polls();
        assertEquals(new RefreshResult.Unavailable("vault unavailable: GET sluice/config: connection refused"),
                live.refresh());
        assertEquals(polls + 1, vault.polls());
        assertEquals(6, live.status().failures());

        vault.recover();
        now.set(now.get().plusSeconds(60));
        assertEquals(new RefreshResult.Unchanged(), live.refresh());
        assertEquals(ConfigStatus.State.OK, live.status().state());
        assertEquals(Optional.empty(), live.status().reason());
        assertEquals(Optional.of(now.get()), live.status().lastPoll());
        scheduler.runPending();
        assertEquals(Duration.ofSeconds(5), scheduler.lastDelay(), "back to the period");
    }

    @Test
    void aSealedVaultAtStartStartsOnTheFilesValuesStartingThenOkWhenFirstRead() {
        vault.put("config", "{\"default-burst\": 40}").put("plans/pro", "{\"burst\": 100}");
        vault.fail(new VaultException.Sealed("Vault is sealed"));
        start();

        assertEquals(1, listener.applied.size());
        Candidate first = listener.applied.get(0);
        assertTrue(first.first());
        assertEquals(VaultTree.EMPTY, first.tree());
        assertEquals(20, first.config().defaultBurst());
        assertEquals(ConfigStatus.State.STARTING, live.status().state());
        assertEquals(Optional.of("vault sealed: Vault is sealed"), live.status().reason());

        scheduler.runPending();
        assertEquals(ConfigStatus.State.STARTING, live.status().state(), "still never read");

        vault.recover();
        RefreshResult result = live.refresh();

        assertEquals(new RefreshResult.Applied(List.of("default-burst", "config", "plans/pro"), List.of()), result);
        assertEquals(40, live.current().defaultBurst());
        assertEquals(ConfigStatus.State.OK, live.status().state());
        assertFalse(listener.lastApplied().first());
        assertEquals(VaultTree.EMPTY, listener.lastApplied().previousTree());
        assertTrue(live.tree().entries().containsKey("plans/pro"));
    }

    @Test
    void anInvalidFirstVaultConfigStartsNotReadyOnTheFilesValuesUntilFixed() {
        vault.put("config", "{\"default-burst\": 0}").put("plans/pro", "{\"burst\": 100}");
        start();

        assertEquals(1, listener.applied.size());
        assertEquals(VaultTree.EMPTY, listener.lastApplied().tree());
        assertEquals(20, live.current().defaultBurst());
        assertEquals(VaultTree.EMPTY, live.tree());
        ConfigStatus status = live.status();
        assertEquals(ConfigStatus.State.STARTING, status.state(), "no Vault tree ever applied: not ready");
        assertEquals(Optional.of("vault secret/sluice/config: default-burst: 0 (expected: 1..1000000)"),
                status.reason());
        assertEquals(new RefreshResult.Unchanged(), live.refresh(), "refused until Vault changes");
        assertEquals(ConfigStatus.State.STARTING, live.status().state());

        vault.put("config", "{\"default-burst\": 40}");
        assertInstanceOf(RefreshResult.Applied.class, live.refresh());
        assertEquals(40, live.current().defaultBurst());
        assertTrue(live.tree().entries().containsKey("plans/pro"));
        assertEquals(ConfigStatus.State.OK, live.status().state());
    }

    @Test
    void aChangedTenancyPathReachesListenersAndAListenersRefusalKeepsTheTreeInForce() {
        vault.put("plans/pro", "{\"burst\": 100}");
        start();
        VaultTree before = live.tree();

        vault.put("plans/pro", "{\"burst\": 200}");
        assertEquals(new RefreshResult.Applied(List.of("plans/pro"), List.of()), live.refresh());
        assertEquals(2, live.tree().entries().get("plans/pro").version());
        assertEquals(before, listener.lastApplied().previousTree());

        listener.refuseWith = "vault secret/sluice/plans/pro: burst: 0 (expected: 1..1000000)";
        vault.put("plans/pro", "{\"burst\": 0}");
        assertEquals(new RefreshResult.Refused(listener.refuseWith), live.refresh());
        assertEquals(2, live.tree().entries().get("plans/pro").version());
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state());

        listener.refuseWith = null;
        vault.remove("plans/pro");
        assertEquals(new RefreshResult.Applied(List.of("plans/pro"), List.of()), live.refresh());
        assertEquals(VaultTree.EMPTY, live.tree());
        assertEquals(ConfigStatus.State.OK, live.status().state());
    }

    @Test
    void aFileChangeStillAppliesWhileVaultIsAway() throws Exception {
        vault.put("config", "{\"default-burst\": 40}");
        start();
        vault.fail(new VaultException.Unavailable("timeout", null));
        Files.writeString(file, BASE.replace("default-requests-per-second = 10", "default-requests-per-second = 12"));

        assertEquals(new RefreshResult.Applied(List.of("default-requests-per-second"), List.of()), live.refresh());

        assertEquals(12, live.current().defaultRequestsPerSecond());
        assertEquals(40, live.current().defaultBurst(), "over the Vault config last read");
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state(), "Vault is still away");
    }

    @Test
    void restartOnlyKeysFromVaultTakeEffectAtStartAndLaterChangesWaitForARestart() {
        vault.put("config", "{\"workers\": 12}");
        start();
        assertEquals(12, live.current().workers(), "nothing runs yet at the first load");

        vault.put("config", "{\"workers\": 16, \"default-burst\": 30}");
        assertEquals(new RefreshResult.Applied(List.of("default-burst", "config"), List.of("workers")),
                live.refresh());
        assertEquals(12, live.current().workers());
        assertEquals(30, live.current().defaultBurst());
        assertTrue(log.at(Level.WARNING).stream().anyMatch(l -> l.contains("needs a restart") && l.endsWith("workers")
                && !l.contains("16")), log.all().toString());
    }

    @Test
    void anUnchangedVaultAndFileCallNoListener() {
        vault.put("config", "{\"default-burst\": 40}").put("plans/pro", "{\"burst\": 100}");
        start();
        int prepared = listener.prepared.size();

        for (int i = 0; i < 3; i++) {
            scheduler.runPending();
        }

        assertEquals(prepared, listener.prepared.size());
        assertEquals(new RefreshResult.Unchanged(), live.refresh());
        assertEquals(5, live.status().polls());
        assertEquals(ConfigStatus.State.OK, live.status().state());
    }

    @Test
    void aFirstVaultTreeRefusedByAListenerKeepsTheProcessStartingUntilATreeApplies() {
        vault.put("plans/pro", "{\"burst\": 100}").put(GHOST, "{}");
        start();

        ConfigStatus status = live.status();
        assertEquals(ConfigStatus.State.STARTING, status.state(), "never ready without Vault's objects in force");
        assertEquals(Optional.of(GHOST_REFUSED), status.reason());
        assertEquals(VaultTree.EMPTY, live.tree());
        scheduler.runPending();
        assertEquals(ConfigStatus.State.STARTING, live.status().state(), "the same tree: still refused, not ready");

        vault.remove(GHOST);
        assertEquals(new RefreshResult.Applied(List.of("plans/pro"), List.of()), live.refresh());
        assertEquals(ConfigStatus.State.OK, live.status().state());

        // After a tree applied once, a refusal leaves the process ready on the last-known-good.
        listener.refuseWith = "vault secret/sluice/plans/pro: burst: 0 (expected: 1..1000000)";
        vault.put("plans/pro", "{\"burst\": 0}");
        assertInstanceOf(RefreshResult.Refused.class, live.refresh());
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state());
        assertTrue(live.tree().entries().containsKey("plans/pro"));
    }

    @Test
    void whileNoVaultTreeAppliedTheProcessRunsOnInitialSoRestartOnlyKeysFromVaultAreNotReportedLater() {
        // What the probe read from Vault (workers is restart-only, default-burst live) and the process was built on.
        SluiceConfig probe = SluiceConfig.from(FileConfigSource.parse(file,
                (BASE + "workers = 12\ndefault-burst = 40\n").replace("default-burst = 20\n", "")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        vault.put("config", "{\"workers\": 12, \"default-burst\": 40}").put(GHOST, "{}");
        start(probe);

        assertEquals(probe, live.current(), "not the file re-read");
        assertEquals(probe, listener.lastApplied().config());
        assertEquals(ConfigStatus.State.STARTING, live.status().state());

        vault.remove(GHOST);
        assertEquals(new RefreshResult.Applied(List.of("config"), List.of()), live.refresh(),
                "workers 12 is in force already: no need-restart");
        assertEquals(12, live.current().workers());
        assertEquals(40, live.current().defaultBurst());
        assertEquals(ConfigStatus.State.OK, live.status().state());
    }

    @Test
    void vaultAwayAtStartRunsOnInitialNotTheFileReRead() {
        SluiceConfig probe = SluiceConfig.from(FileConfigSource.parse(file,
                (BASE + "workers = 12\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        vault.fail(new VaultException.Unavailable("connection refused", null));
        start(probe);

        assertEquals(probe, live.current());
        assertEquals(ConfigStatus.State.STARTING, live.status().state());
        assertEquals(Optional.of("vault unavailable: connection refused"), live.status().reason());

        vault.recover();
        vault.put("config", "{\"workers\": 12}");
        assertEquals(new RefreshResult.Applied(List.of("config"), List.of()), live.refresh());
        assertEquals(ConfigStatus.State.OK, live.status().state());
    }
}
