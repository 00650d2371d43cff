package dev.sluice.config.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.ConfigException;
import dev.sluice.config.FileConfigSource;
import dev.sluice.config.SluiceConfig;
import dev.sluice.config.vault.VaultTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class LiveConfigFileTest extends LiveConfigCase {
    private static final String BASE = """
            port = 8080
            default-burst = 20
            config-poll-ms = 5000
            """;

    private LiveConfig start(String content) throws Exception {
        file = dir.resolve("sluice.conf");
        Files.writeString(file, content);
        live = LiveConfigs.create(Optional.of(file), SluiceConfig.from(FileConfigSource.load(file)), Optional.empty(),
                clock, scheduler);
        live.addListener(listener);
        live.start();
        return live;
    }

    private void save(String content) throws Exception {
        Files.writeString(file, content);
    }

    @Test
    void startAppliesTheFileOnceToEveryListenerAndIsOk() throws Exception {
        start(BASE);
        assertEquals(1, listener.applied.size());
        Candidate first = listener.applied.get(0);
        assertTrue(first.first());
        assertEquals(VaultTree.EMPTY, first.tree());
        ConfigStatus status = live.status();
        assertEquals(ConfigStatus.State.OK, status.state());
        assertEquals("file", status.source());
        assertEquals(Optional.empty(), status.reason());
        assertEquals(1, status.applied());
        assertEquals(Optional.of(now.get()), status.lastApplied());
    }

    @Test
    void aSavedChangeToALiveKeyAppliesWithoutRestart() throws Exception {
        start(BASE);
        save(BASE.replace("default-burst = 20", "default-burst = 40"));
        now.set(now.get().plusSeconds(5));

        RefreshResult result = live.refresh();

        assertEquals(new RefreshResult.Applied(List.of("default-burst"), List.of()), result);
        assertEquals(40, live.current().defaultBurst());
        Candidate candidate = listener.lastApplied();
        assertFalse(candidate.first());
        assertEquals(20, candidate.previous().defaultBurst());
        assertEquals(40, candidate.config().defaultBurst());
        assertEquals(ConfigStatus.State.OK, live.status().state());
        assertEquals(2, live.status().applied());
        assertEquals(Optional.of(now.get()), live.status().lastApplied());
    }

    @Test
    void anEditorsAtomicRenameIsSeen() throws Exception {
        start(BASE);
        Path temp = dir.resolve(".sluice.conf.swp");
        Files.writeString(temp, BASE.replace("default-burst = 20", "default-burst = 33"));
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        assertInstanceOf(RefreshResult.Applied.class, live.refresh());
        assertEquals(33, live.current().defaultBurst());
    }

    @Test
    void anUnchangedFileCallsNoListenerAndNeitherDoesACommentOnlyEdit() throws Exception {
        start(BASE);
        int prepared = listener.prepared.size();

        assertEquals(new RefreshResult.Unchanged(), live.refresh());
        save("# a comment added\n" + BASE);
        assertEquals(new RefreshResult.Unchanged(), live.refresh());
        assertEquals(new RefreshResult.Unchanged(), live.refresh());

        assertEquals(prepared, listener.prepared.size());
        assertEquals(4, live.status().polls());
        assertEquals(1, live.status().applied());
    }

    @Test
    void aRestartOnlyKeyChangeIsLoggedOnceByNameAndNotApplied() throws Exception {
        start(BASE);
        save(BASE.replace("port = 8080", "port = 9090")
                .replace("default-burst = 20", "default-burst = 40")
                + "redis-uri = redis://:hunter2hunter2@10.0.0.9:6379\n");

        RefreshResult result = live.refresh();

        assertEquals(new RefreshResult.Applied(List.of("default-burst"), List.of("port", "redis-uri")), result);
        assertEquals(8080, live.current().port());
        assertEquals("", live.current().stores().redisUri(), "still unset: the file's new value needs a restart");
        assertEquals(40, live.current().defaultBurst());
        Candidate candidate = listener.lastApplied();
        assertEquals(8080, candidate.config().port(), "listeners never see a restart-only change");
        List<String> warnings = log.at(Level.WARNING);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("needs a restart") && warnings.get(0).endsWith(": port, redis-uri"),
                warnings.get(0));
        assertFalse(log.all().toString().contains("hunter2"), "a value never reaches the log");

        // A later live change applies, and the pending restart is not logged again.
        save(BASE.replace("port = 8080", "port = 9090").replace("default-burst = 20", "default-burst = 50")
                + "redis-uri = redis://:hunter2hunter2@10.0.0.9:6379\n");
        assertEquals(new RefreshResult.Applied(List.of("default-burst"), List.of("port", "redis-uri")),
                live.refresh());
        assertEquals(1, log.at(Level.WARNING).size());
        assertEquals(ConfigStatus.State.OK, live.status().state());
    }

    @Test
    void aChangeOfARestartOnlyKeyAloneCallsNoListener() throws Exception {
        start(BASE);
        int prepared = listener.prepared.size();
        save(BASE.replace("port = 8080", "port = 9090"));

        assertEquals(new RefreshResult.Applied(List.of(), List.of("port")), live.refresh());

        assertEquals(prepared, listener.prepared.size());
        assertEquals(8080, live.current().port());
    }

    @Test
    void anInvalidFileIsRefusedNamingTheKeyAndTheLastKnownGoodStaysUntilItIsFixed() throws Exception {
        start(BASE);
        int prepared = listener.prepared.size();
        save(BASE.replace("default-burst = 20", "default-burst = 0"));

        RefreshResult result = live.refresh();

        String reason = file + ": default-burst: 0 (expected: 1..1000000)";
        assertEquals(new RefreshResult.Refused(reason), result);
        assertEquals(20, live.current().defaultBurst());
        assertEquals(prepared, listener.prepared.size(), "refused before any listener saw it");
        ConfigStatus status = live.status();
        assertEquals(ConfigStatus.State.DEGRADED, status.state());
        assertEquals(Optional.of(reason), status.reason());
        assertEquals(1, status.refusals());
        assertEquals(List.of("WARNING configuration refused, the last-known-good stays in force: " + reason),
                log.at(Level.WARNING));

        // The same refused content is not checked (nor logged) again at every poll.
        assertEquals(new RefreshResult.Unchanged(), live.refresh());
        assertEquals(1, live.status().refusals());
        assertEquals(1, log.at(Level.WARNING).size());
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state());

        save(BASE.replace("default-burst = 20", "default-burst = 30"));
        assertEquals(new RefreshResult.Applied(List.of("default-burst"), List.of()), live.refresh());
        assertEquals(30, live.current().defaultBurst());
        assertEquals(ConfigStatus.State.OK, live.status().state());
        assertEquals(Optional.empty(), live.status().reason());
    }

    @Test
    void anUnknownKeyOrAMalformedLineIsRefusedNamingIt() throws Exception {
        start(BASE);
        save(BASE + "defualt-burst = 5\n");
        RefreshResult.Refused unknown = assertInstanceOf(RefreshResult.Refused.class, live.refresh());
        assertTrue(unknown.reason().startsWith(file + ": unknown key defualt-burst"), unknown.reason());

        save(BASE + "just words\n");
        assertEquals(new RefreshResult.Refused(file + ":4: not a setting (expected: key = value)"), live.refresh());
        assertEquals(20, live.current().defaultBurst());
    }

    @Test
    void aMalformedLineIsNotRepeatedInTheReasonOrTheLogForItMayHoldASecret() throws Exception {
        start(BASE);
        save(BASE + "worker-secret: correct-horse-battery-staple-0123456789\n");

        RefreshResult.Refused refused = assertInstanceOf(RefreshResult.Refused.class, live.refresh());

        assertEquals(file + ":4: not a setting (expected: key = value)", refused.reason());
        assertFalse(log.all().toString().contains("battery"), log.all().toString());
        assertFalse(live.status().toString().contains("battery"));
    }

    @Test
    void aFileThatDisappearsIsRefusedAndItsReturnIsApplied() throws Exception {
        start(BASE);
        Files.delete(file);

        RefreshResult.Refused refused = assertInstanceOf(RefreshResult.Refused.class, live.refresh());
        assertTrue(refused.reason().startsWith(file + ": missing"), refused.reason());
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state());
        assertEquals(20, live.current().defaultBurst());

        save(BASE);
        assertEquals(new RefreshResult.Unchanged(), live.refresh(), "the same values as in force: nothing to apply");
        assertEquals(ConfigStatus.State.OK, live.status().state());
    }

    @Test
    void aListenersRefusalRefusesTheWholeCandidateAndNoListenerApplies() throws Exception {
        RecordingListener second = new RecordingListener();
        file = dir.resolve("sluice.conf");
        Files.writeString(file, BASE);
        live = LiveConfigs.create(Optional.of(file), SluiceConfig.from(FileConfigSource.load(file)), Optional.empty(),
                clock, scheduler);
        live.addListener(listener);
        live.addListener(second);
        live.start();
        second.refuseWith = "vault secret/sluice/plans/pro: burst: 0 (expected: 1..1000000)";
        save(BASE.replace("default-burst = 20", "default-burst = 40").replace("config-poll-ms = 5000",
                "config-poll-ms = 1000") + "log-level = error\n");

        assertEquals(new RefreshResult.Refused(second.refuseWith), live.refresh());

        assertEquals(2, listener.prepared.size(), "the first listener prepared it");
        assertEquals(1, listener.applied.size(), "... but did not apply it");
        assertEquals(20, live.current().defaultBurst());
        assertEquals(Level.INFO, Logger.getLogger("").getLevel(), "the built-in log-level listener did not apply");
        assertEquals(Optional.of(second.refuseWith), live.status().reason());
    }

    @Test
    void addingAListenerAfterStartFails() throws Exception {
        start(BASE);
        assertThrows(IllegalStateException.class, () -> live.addListener(c -> () -> {}));
    }

    @Test
    void logLevelIsAppliedToTheJdkRootLogger() throws Exception {
        start(BASE + "log-level = warning\n");
        assertEquals(Level.WARNING, Logger.getLogger("").getLevel());

        save(BASE + "log-level = debug\n");
        assertEquals(new RefreshResult.Applied(List.of("log-level"), List.of()), live.refresh());
        assertEquals(Level.FINE, Logger.getLogger("").getLevel());

        save(BASE + "log-level = error\n");
        live.refresh();
        assertEquals(Level.SEVERE, Logger.getLogger("").getLevel());
    }

    @Test
    void thePollerChecksEveryConfigPollMsAndTheNewPeriodAppliesToTheNextWait() throws Exception {
        start(BASE);
        assertEquals(Duration.ofMillis(5000), scheduler.lastDelay());
        save(BASE.replace("config-poll-ms = 5000", "config-poll-ms = 250"));

        scheduler.runPending();

        assertEquals(250, live.current().configPollMs());
        assertEquals(Duration.ofMillis(250), scheduler.lastDelay());
        assertTrue(scheduler.hasPending(), "the poller scheduled its next check");
        scheduler.runPending();
        assertEquals(3, live.status().polls());
    }

    @Test
    void refreshBeforeStartFailsAndCurrentIsTheInitialConfiguration() throws Exception {
        file = dir.resolve("sluice.conf");
        Files.writeString(file, BASE);
        SluiceConfig initial = SluiceConfig.from(FileConfigSource.load(file));
        live = LiveConfigs.create(Optional.of(file), initial, Optional.empty(), clock, scheduler);
        assertEquals(initial, live.current());
        assertEquals(ConfigStatus.State.STARTING, live.status().state());
        assertThrows(IllegalStateException.class, live::refresh);
    }

    @Test
    void aFileBrokenAtStartStartsOnTheInitialValuesDegraded() throws Exception {
        file = dir.resolve("sluice.conf");
        Files.writeString(file, BASE);
        SluiceConfig initial = SluiceConfig.from(FileConfigSource.load(file));
        Files.writeString(file, BASE.replace("default-burst = 20", "default-burst = -1"));
        live = LiveConfigs.create(Optional.of(file), initial, Optional.empty(), clock, scheduler);
        live.addListener(listener);
        live.start();

        assertEquals(1, listener.applied.size());
        assertEquals(20, live.current().defaultBurst());
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state());
        assertEquals(Optional.of(file + ": default-burst: -1 (expected: 1..1000000)"), live.status().reason());
    }

    @Test
    void aListenerRefusingTheOnlyConfigurationAtStartFailsTheStart() throws Exception {
        file = dir.resolve("sluice.conf");
        Files.writeString(file, BASE);
        live = LiveConfigs.create(Optional.of(file), SluiceConfig.from(FileConfigSource.load(file)), Optional.empty(),
                clock, scheduler);
        listener.refuseWith = "plans: nope";
        live.addListener(listener);

        ConfigException e = assertThrows(ConfigException.class, live::start);
        assertTrue(e.getMessage().endsWith("plans: nope"), e.getMessage());
    }

    @Test
    void closeStopsTheDaemonPollerPromptly() throws Exception {
        file = dir.resolve("sluice.conf");
        Files.writeString(file, BASE.replace("config-poll-ms = 5000", "config-poll-ms = 100"));
        live = LiveConfigs.create(Optional.of(file), SluiceConfig.from(FileConfigSource.load(file)), Optional.empty(),
                clock);
        live.start();
        List<Thread> pollers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("sluice-config-poll")).toList();
        assertFalse(pollers.isEmpty(), "one poller thread runs");
        assertTrue(pollers.stream().allMatch(Thread::isDaemon));

        live.close();

        for (Thread poller : pollers) {
            poller.join(30_000);
            assertFalse(poller.isAlive(), "close stops the poller");
        }
    }

    @Test
    void aConfigFileLargerThanTheBoundIsRefusedNamingItsSizeNotReadWhole() throws Exception {
        start(BASE);
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(3L * 1024 * 1024 * 1024); // sparse: costs no disk
        }

        RefreshResult result = live.refresh();

        String reason = file + ": 3221225472 bytes (expected: at most 1048576)";
        assertEquals(new RefreshResult.Refused(reason), result);
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state());
        assertEquals(Optional.of(reason), live.status().reason());
        assertEquals(20, live.current().defaultBurst());

        save(BASE.replace("default-burst = 20", "default-burst = 30"));
        assertEquals(new RefreshResult.Applied(List.of("default-burst"), List.of()), live.refresh());
        assertEquals(ConfigStatus.State.OK, live.status().state());
    }

    @Test
    void aFifoOrADirectoryInPlaceOfTheFileIsRefusedWithoutBlockingTheCheck() throws Exception {
        start(BASE);
        Files.delete(file);
        Process mkfifo = new ProcessBuilder("mkfifo", file.toString()).start();
        assertTrue(mkfifo.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");
        String reason = file + ": not a regular file (expected: the configuration file)";

        var refresh = java.util.concurrent.CompletableFuture.supplyAsync(live::refresh);
        assertEquals(new RefreshResult.Refused(reason), refresh.get(30, java.util.concurrent.TimeUnit.SECONDS),
                "refused, never opened (opening a FIFO blocks until a writer comes)");
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state());

        Files.delete(file);
        save(BASE);
        assertEquals(new RefreshResult.Unchanged(), live.refresh());
        assertEquals(ConfigStatus.State.OK, live.status().state());

        Files.delete(file);
        Files.createDirectory(file);
        assertEquals(new RefreshResult.Refused(reason), live.refresh());
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state());
    }

    @Test
    void anErrorThrownDuringACheckIsARefusalInTheStatusAndTheCandidateIsTriedAgain() throws Exception {
        file = dir.resolve("sluice.conf");
        Files.writeString(file, BASE);
        live = LiveConfigs.create(Optional.of(file), SluiceConfig.from(FileConfigSource.load(file)), Optional.empty(),
                clock, scheduler);
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean();
        live.addListener(candidate -> {
            if (failing.get()) {
                throw new NoClassDefFoundError("simulated: a listener whose class broke");
            }
            return () -> {};
        });
        live.start();
        failing.set(true);
        save(BASE.replace("default-burst = 20", "default-burst = 40"));

        String reason = "configuration check failed (java.lang.NoClassDefFoundError)";
        assertEquals(new RefreshResult.Refused(reason), live.refresh());
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state(), "never OK after a failed check");
        assertEquals(Optional.of(reason), live.status().reason());
        assertEquals(20, live.current().defaultBurst());

        failing.set(false);
        assertEquals(new RefreshResult.Applied(List.of("default-burst"), List.of()), live.refresh(),
                "the same file is checked again: the failure was not the file's");
        assertEquals(ConfigStatus.State.OK, live.status().state());
    }

    @Test
    void aListenerThatFailsOnceRefusesThatAttemptOnlyAndTheNextPollTriesAgainAfterABackoff() throws Exception {
        file = dir.resolve("sluice.conf");
        Files.writeString(file, BASE);
        live = LiveConfigs.create(Optional.of(file), SluiceConfig.from(FileConfigSource.load(file)), Optional.empty(),
                clock, scheduler);
        java.util.concurrent.atomic.AtomicInteger failuresLeft = new java.util.concurrent.atomic.AtomicInteger();
        live.addListener(candidate -> {
            if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IllegalStateException("redis timeout, say");
            }
            return () -> {};
        });
        live.start();
        failuresLeft.set(2);
        save(BASE.replace("default-burst = 20", "default-burst = 40"));

        String reason = "a configuration listener failed (java.lang.IllegalStateException)";
        assertEquals(new RefreshResult.Refused(reason), live.refresh());
        assertEquals(ConfigStatus.State.DEGRADED, live.status().state());
        assertEquals(List.of("WARNING a configuration listener failed to check a candidate, tried again at the next"
                        + " check: java.lang.IllegalStateException: redis timeout, say",
                "WARNING configuration refused, the last-known-good stays in force: " + reason),
                log.at(Level.WARNING));

        scheduler.runPending(); // fails a second time: not logged as a new refusal, and the poller backs off
        assertEquals(20, live.current().defaultBurst());
        assertEquals(Duration.ofMillis(10_000), scheduler.lastDelay(), "doubled after two failures in a row");
        assertEquals(3, log.at(Level.WARNING).size(), "the listener's failure; the refusal is not logged again");

        scheduler.runPending(); // the listener works again: the same file applies, no source had to change
        assertEquals(40, live.current().defaultBurst());
        assertEquals(ConfigStatus.State.OK, live.status().state());
        assertEquals(Duration.ofMillis(5000), scheduler.lastDelay(), "back to the period");
    }
}
