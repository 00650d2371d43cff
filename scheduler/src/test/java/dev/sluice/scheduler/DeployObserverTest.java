package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A registry tells a deploy's observer its steps in order, and which one failed. */
class DeployObserverTest {
    private static final SchedulerSettings SETTINGS = new SchedulerSettings(2, 1, 4, 1 << 20, 64 << 10, 8L << 20);

    @TempDir
    Path dataDir;
    private LocalScheduler scheduler;

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private static final class Recorder implements DeployObserver {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void started(Step step) {
            events.add("start " + step);
        }

        @Override
        public void ended(Step step) {
            events.add("end " + step);
        }

        @Override
        public void failed(Step step, RuntimeException failure) {
            events.add("fail " + step + " " + failure.getClass().getSimpleName());
        }
    }

    private DeployRequest request(String name, byte[] module, DeployObserver observer) {
        return new DeployRequest("acme", FunctionName.of(name), module, 16, 1_000, 1 << 20, 1_000_000, 0)
                .withObserver(observer);
    }

    @Test
    void aDeployIsValidatedInstrumentedStoredAndWaitedForInThatOrder() {
        scheduler = LocalScheduler.open(SETTINGS, dataDir, InstantSource.fixed(Instant.parse("2030-01-01T00:00:00Z")));
        Recorder recorder = new Recorder();
        scheduler.functions().deploy(request("hello", TestModules.load("hello"), recorder));
        List<String> events = List.copyOf(recorder.events);
        assertEquals(List.of("start VALIDATE", "end VALIDATE", "start INSTRUMENT", "end INSTRUMENT", "start STORE",
                "end STORE"), events.subList(0, 6));
        assertTrue(events.size() == 6 || events.subList(6, events.size()).equals(List.of("start COMPILE",
                "end COMPILE")), events.toString());
    }

    @Test
    void aRejectedModuleFailsItsValidationAndGoesNoFurther() {
        scheduler = LocalScheduler.open(SETTINGS, dataDir, InstantSource.fixed(Instant.parse("2030-01-01T00:00:00Z")));
        Recorder recorder = new Recorder();
        assertThrows(SchedulerException.ModuleRejected.class, () -> scheduler.functions()
                .deploy(request("broken", new byte[] {0, 'a', 's', 'm', 9, 9, 9, 9}, recorder)));
        assertEquals(List.of("start VALIDATE", "fail VALIDATE ModuleRejected"), recorder.events);
    }
}
