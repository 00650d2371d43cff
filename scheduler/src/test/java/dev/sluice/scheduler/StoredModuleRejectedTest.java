package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.testing.HostileModules;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A module stored under older rules that the current ones refuse (here: 1 050 000 locals, over the 1 000 000 per
 * module cap added later) used to fail the start with StorageFailure, so one tenant's old module kept the whole
 * process down. Now the start does not even look at it (modules load at their first call): the function stays
 * stored, its first call finds the module refused (one warning) and answers with the rejection, as every later call
 * does, it can be deleted, and the other tenants' functions run.
 */
class StoredModuleRejectedTest {
    private static final SchedulerSettings SETTINGS = new SchedulerSettings(2, 1, 8, 64 << 10, 4 << 10, 2L << 20);

    @TempDir
    Path dataDir;

    @Test
    void aStoredModuleTheRulesNowRefuseAnswersItsCallsAndIsNotFatal() {
        FunctionSpec good;
        try (var scheduler = LocalScheduler.open(SETTINGS, dataDir, InstantSource.fixed(Instant.EPOCH))) {
            good = scheduler.functions().deploy(new DeployRequest("alice", FunctionName.of("hello"),
                    TestModules.load("hello"), 16, 10_000, 1 << 20, 1_000_000)).spec();
        }
        // What an older Sluice stored for bob: written straight to the store, since deploy now refuses it.
        byte[] old = HostileModules.functionsWithLocals(21, 50_000);
        String digest = Digests.sha256(old);
        var store = new FunctionStore(dataDir);
        store.writeModule(digest, old);
        store.save(List.of(good, new FunctionSpec("bob", FunctionName.of("legacy"), digest, old.length, 16, 10_000,
                Instant.EPOCH, 1_000_000)));

        var warnings = new ArrayList<LogRecord>();
        Logger log = Logger.getLogger(DiskFunctionRegistry.class.getName());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(capture);
        try (var scheduler = LocalScheduler.open(SETTINGS, dataDir, InstantSource.fixed(Instant.EPOCH))) {
            assertEquals(0, warnings.size(), "the start reads the index only");
            var request = new InvocationRequest(new byte[0], List.of(), Map.of());
            var legacy = scheduler.functions().find("bob", FunctionName.of("legacy")).orElseThrow();
            var e = assertThrows(ModuleRejected.class, () -> scheduler.dispatcher().invoke(legacy, request));
            assertEquals(ModuleRejected.Reason.TOO_COMPLEX, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("deploy the function again"), e.getMessage());
            var again = assertThrows(ModuleRejected.class, () -> scheduler.dispatcher().invoke(legacy, request));
            assertEquals(e.getMessage(), again.getMessage(), "every call answers the same");

            assertEquals(1, warnings.size(), "one warning for the module, at its first call");
            assertEquals(Level.WARNING, warnings.get(0).getLevel());
            String message = java.text.MessageFormat.format(warnings.get(0).getMessage(),
                    warnings.get(0).getParameters());
            assertTrue(message.contains("bob/legacy") && message.contains("1000000 locals"), message);

            assertEquals(0, scheduler.dispatcher().invoke(good, request).exitCode(), "alice is unaffected");
            assertTrue(scheduler.functions().delete("bob", FunctionName.of("legacy")), "bob can delete it");
            assertTrue(scheduler.functions().find("bob", FunctionName.of("legacy")).isEmpty());
        } finally {
            log.removeHandler(capture);
        }
    }
}
