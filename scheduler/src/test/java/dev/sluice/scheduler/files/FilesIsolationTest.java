package dev.sluice.scheduler.files;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.InvocationFailed.Kind;
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
            // Then the same thread without files: no directory at all, as before files existed.
            String out = new String(scheduler.dispatcher().invoke(files, new InvocationRequest(new byte[0],
                    List.of("files", "tour"), Map.of())).stdout(), UTF_8);
            assertEquals("list /assets: errno 76\n", out.substring(0, out.indexOf('\n') + 1)); // NOTCAPABLE
            // A missing assets directory is the host's fault: the call fails, the thread serves the next one.
            var gone = new InvocationRequest(new byte[0], List.of("files", "tmp", "x"), Map.of(),
                    new FunctionFiles(Optional.of(dataDir.resolve("no-such-assets")), new ScratchLimits(4096, 4)));
            var failed = assertThrows(InvocationFailed.class, () -> scheduler.dispatcher().invoke(files, gone));
            assertEquals(Kind.TRAP, failed.kind());
            assertEquals("internal error", failed.getMessage());
            out = new String(scheduler.dispatcher().invoke(files, request).stdout(), UTF_8);
            assertEquals("left.txt before: absent\nleft.txt after: present\n", out, "after the failure");
        }
    }

    /**
     * The files open on first use (a call that never uses them pays nothing for them), so a worker's calls can
     * alternate between opened, never opened, none and a writable copy: each still starts from its own fresh state.
     */
    @Test
    void callsThatOpenTheirFilesOrNeverDoOrHaveNoneOrAWritableCopyLeaveNothingForTheNext(@TempDir Path tree)
            throws Exception {
        java.nio.file.Files.writeString(tree.resolve("data.txt"), "original\n");
        try (LocalScheduler scheduler = LocalScheduler.open(new SchedulerSettings(1, 1, 8, 1 << 20, 1 << 20,
                2L << 20), dataDir, InstantSource.fixed(Instant.EPOCH))) {
            FunctionSpec files = scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of("files"),
                    TestModules.load("files"), 64, 30_000, 1 << 20, 10_000_000_000L)).spec();
            FunctionSpec hello = scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of("hello"),
                    TestModules.load("hello"), 64, 30_000, 1 << 20, 10_000_000_000L)).spec();
            var scratch = new FunctionFiles(Optional.empty(), new ScratchLimits(1 << 20, 16));
            var writableTmp = new FunctionFiles(Optional.of(tree), new AssetMount("/tmp", true),
                    new ScratchLimits(1 << 20, 16));
            var leave = new InvocationRequest(new byte[0], List.of("files", "leave"), Map.of(), scratch);
            var leaveInCopy = new InvocationRequest(new byte[0], List.of("files", "leave"), Map.of(), writableTmp);
            var helloWithScratch = new InvocationRequest(new byte[0], List.of("hello"), Map.of(), scratch);
            var helloAlone = new InvocationRequest(new byte[0], List.of("hello"), Map.of());
            String fresh = "left.txt before: absent\nleft.txt after: present\n";
            String helloOut = new String(scheduler.dispatcher().invoke(hello, helloAlone).stdout(), UTF_8);
            for (int i = 0; i < 3; i++) {
                assertEquals(fresh, new String(scheduler.dispatcher().invoke(files, leave).stdout(), UTF_8));
                assertEquals(helloOut, new String(scheduler.dispatcher().invoke(hello, helloWithScratch).stdout(),
                        UTF_8), "files granted, never used");
                assertEquals(fresh, new String(scheduler.dispatcher().invoke(files, leaveInCopy).stdout(), UTF_8));
                assertEquals(helloOut, new String(scheduler.dispatcher().invoke(hello, helloAlone).stdout(), UTF_8));
                String tour = new String(scheduler.dispatcher().invoke(files, new InvocationRequest(new byte[0],
                        List.of("files", "tour"), Map.of())).stdout(), UTF_8);
                assertEquals("list /assets: errno 76\n", tour.substring(0, tour.indexOf('\n') + 1), "no files");
            }
            assertEquals(java.util.List.of(tree.resolve("data.txt")),
                    java.nio.file.Files.list(tree).toList(), "the stored tree unchanged");
        }
    }
}
