package dev.sluice.scheduler.files;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.SchedulerSettings;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One worker thread, so consecutive invocations share its WASI host: a file one call leaves is gone for the next. */
class FilesIsolationTest {
    @TempDir
    Path dataDir;

    @Test
    void aFileWrittenByOneCallIsAbsentInTheNextOnTheSameWorkerThread() {
        try (LocalScheduler scheduler = LocalScheduler.open(new SchedulerSettings(1, 1, 8, 1 << 20, 1 << 20,
                2L << 20), dataDir, InstantSource.fixed(Instant.EPOCH))) {
            FunctionSpec files = scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of("files"),
                    TestModules.load("files"), 64, 30_000, 1 << 20, 10_000_000_000L)).spec();
            var request = new InvocationRequest(new byte[0], List.of("files", "leave"), Map.of(),
                    new FunctionFiles(Optional.empty(), new ScratchLimits(1 << 20, 16)));
            for (int i = 0; i < 3; i++) {
                String out = new String(scheduler.dispatcher().invoke(files, request).stdout(), UTF_8);
                assertEquals("left.txt before: absent\nleft.txt after: present\n", out, "call " + i);
            }
        }
    }
}
