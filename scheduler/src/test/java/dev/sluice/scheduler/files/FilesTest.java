package dev.sluice.scheduler.files;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.SchedulerSettings;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real C program (wasi-libc; resources/wasm/files.c) sees /assets read-only and a bounded, private /tmp, or its
 * assets read-only at / beside /tmp, or a writable copy of them at a path of their own, and gets errnos, never
 * traps, for whatever it is refused. Expected output lines are the program's own.
 */
class FilesTest {
    private static final long FUEL = 10_000_000_000L;

    @TempDir
    static Path dataDir;
    @TempDir
    static Path assets;
    /** data.txt and sub/deep.txt: 3 files and directories in 2 blocks. */
    @TempDir
    static Path tree;

    private static LocalScheduler scheduler;
    private static FunctionSpec files;

    @BeforeAll
    static void open() throws IOException {
        scheduler = LocalScheduler.open(new SchedulerSettings(2, 2, 8, 1 << 20, 1 << 20, 2L << 20), dataDir,
                InstantSource.fixed(Instant.EPOCH));
        files = scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of("files"),
                TestModules.load("files"), 64, 30_000, 1 << 20, FUEL)).spec();
        Files.writeString(assets.resolve("greeting.txt"), "hello from assets\n");
        Files.createDirectories(assets.resolve("sub"));
        Files.writeString(assets.resolve("sub/deep.txt"), "deep\n");
        Files.writeString(tree.resolve("data.txt"), "original\n");
        Files.createDirectories(tree.resolve("sub"));
        Files.writeString(tree.resolve("sub/deep.txt"), "deep\n");
    }

    @AfterAll
    static void close() {
        scheduler.close();
    }

    static InvocationResult run(FunctionFiles given, String... args) {
        return scheduler.dispatcher().invoke(files, new InvocationRequest(new byte[0], List.of(args).isEmpty()
                ? List.of() : prepend(args), Map.of(), given));
    }

    private static List<String> prepend(String... args) {
        var all = new java.util.ArrayList<String>();
        all.add("files");
        all.addAll(List.of(args));
        return all;
    }

    static String out(InvocationResult result) {
        assertEquals(0, result.exitCode(), new String(result.stderr(), UTF_8));
        return new String(result.stdout(), UTF_8);
    }

    @Test
    void theTourReadsAssetsIsRefusedEveryWriteThereAndFillsTmpToItsBound() {
        String out = out(run(new FunctionFiles(Optional.of(assets), new ScratchLimits(64 << 10, 64)), "tour"));
        System.out.print(out);
        String expected = """
                list /assets: greeting.txt sub
                read /assets/greeting.txt: hello from assets
                read /assets/sub/deep.txt: deep
                open-write /assets/greeting.txt: errno 69
                open-rdwr /assets/greeting.txt: errno 69
                create /assets/new.txt: errno 69
                truncate-open /assets/greeting.txt: errno 69
                truncate /assets/greeting.txt: errno 69
                unlink /assets/greeting.txt: errno 69
                rename /assets/greeting.txt: errno 69
                rename-out /assets/greeting.txt: errno 69
                mkdir /assets/d: errno 69
                rmdir /assets/sub: errno 69
                symlink /assets/l: errno 69
                link /assets/h: errno 69
                utimes /assets/greeting.txt: errno 69
                write-fd /assets/greeting.txt: errno 69
                ftruncate-fd /assets/greeting.txt: errno 69
                escape /assets/../../etc/passwd: errno 63
                escape /tmp/../../etc/passwd: errno 63
                escape /etc/passwd: errno 76
                symlink /tmp/l: errno 2
                list /tmp:
                fill /tmp: 16 files of 4096 bytes, then errno 51
                unlink /tmp/f0: errno 0
                write after unlink: ok
                """;
        assertEquals(expected, out);
        assertEquals("hello from assets\n", readString(assets.resolve("greeting.txt")), "assets unchanged");
    }

    @Test
    void tooManyFilesAndDirectoriesIsNospcAndRemovingOneMakesRoom() {
        String out = out(run(new FunctionFiles(Optional.empty(), new ScratchLimits(1 << 20, 5)), "inodes"));
        assertEquals("inodes: 5 files, then errno 51\nmkdir after: errno 51\nunlink /tmp/i0: errno 0\n"
                + "mkdir after unlink: errno 0\n", out);
    }

    @Test
    void concurrentInvocationsEachSeeOnlyTheirOwnEmptyTmp() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<String>>();
            for (int i = 0; i < 24; i++) {
                String tag = "call" + i;
                futures.add(pool.submit(() -> out(run(new FunctionFiles(Optional.of(assets),
                        new ScratchLimits(1 << 20, 64)), "tmp", tag))));
            }
            for (int i = 0; i < futures.size(); i++) {
                assertEquals("entries before: 0, read back: call" + i + "\n", futures.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anInvocationWithoutFilesSeesNoDirectoryEvenAfterOneWithFilesOnTheSameWorkers() {
        out(run(new FunctionFiles(Optional.of(assets), new ScratchLimits(1 << 20, 64)), "leave"));
        String out = out(run(FunctionFiles.NONE, "tour"));
        assertTrue(out.startsWith("list /assets: errno 76\n"), out); // wasi-libc: no preopen matches (NOTCAPABLE)
        assertTrue(out.contains("fill /tmp: 0 files of 4096 bytes, then errno 76\n"), out);
    }

    @Test
    void fileCallsAreChargedTheSameFuelEveryTime() {
        FunctionFiles given = new FunctionFiles(Optional.of(assets), new ScratchLimits(64 << 10, 64));
        long first = run(given, "tour").fuelUsed();
        long second = run(given, "tour").fuelUsed();
        assertEquals(first, second, "file calls are charged deterministically");
    }

    @Test
    void readOnlyAtTheRootLeavesTmpToScratchSinceTheLongestPreopenWins() {
        String out = out(run(new FunctionFiles(Optional.of(tree), new AssetMount("/", false),
                new ScratchLimits(64 << 10, 8)), "root"));
        assertEquals("""
                list /: data.txt sub
                read /data.txt: original
                create /new.txt: errno 69
                write /tmp/x: errno 0
                read /tmp/x: scratch
                stat /x: errno 44
                """, out);
        assertTrue(!Files.exists(tree.resolve("tmp")) && !Files.exists(tree.resolve("x")), "assets unchanged");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"/", "/work", "/tmp", "/a/b"})
    void aWritableCopyIsTheGuestsToChangeWithinTheBoundsAndTheNextCallSeesTheOriginal(String path) {
        // 16 blocks and 8 files or directories, the copy's 2 blocks and 3 entries included.
        FunctionFiles given = new FunctionFiles(Optional.of(tree), new AssetMount(path, true),
                new ScratchLimits(64 << 10, 8));
        String d = path.equals("/") ? "" : path;
        String expected = """
                read D/data.txt: original
                list P: data.txt sub
                rewrite D/data.txt: errno 0
                read D/data.txt: changed
                unlink D/sub/deep.txt: errno 0
                read D/sub/deep.txt: errno 44
                recreate D/sub/deep.txt: errno 0
                read D/sub/deep.txt: again
                rename D/sub/deep.txt: errno 0
                rename D/sub: errno 0
                list P: data.txt deep.txt sub2
                rename D/sub2 into itself: errno 28
                symlink D/l: errno 0
                link D/h: errno 0
                escape D/../../etc/passwd: errno 63
                grow D/data.txt: 13 writes of 4096 bytes, 4088 bytes more, then errno 51
                create in P: 4 files, then errno 51
                """.replace("D/", d + "/").replace("P:", path + ":");
        // data.txt ("changed\n", 1 block), deep.txt (1 block) and the symlink l (1 block) leave 13 blocks: data.txt
        // grows to 14 blocks, its last write short by its first 8 bytes, as write(2) fills a disk; 3 entries and
        // the symlink leave room for 4 more (the hard link h adds a name, not an inode).
        assertEquals(expected, out(run(given, "writable", path)));
        assertEquals(expected, out(run(given, "writable", path)), "the second call starts from the original");
        assertEquals("original\n", readString(tree.resolve("data.txt")), "the stored tree unchanged");
        assertTrue(Files.exists(tree.resolve("sub/deep.txt")) && !Files.exists(tree.resolve("sub2")));
    }

    @Test
    void aWritableCopyIsChargedTheSameFuelEveryTimeAndItsCopyIsPartOfIt() {
        FunctionFiles small = new FunctionFiles(Optional.of(tree), new AssetMount("/w", true),
                new ScratchLimits(64 << 10, 8));
        long first = run(small, "writable", "/w").fuelUsed();
        assertEquals(first, run(small, "writable", "/w").fuelUsed());
        // The same run against no tree at all: the copy's 3 entries and 14 bytes are the difference, and
        // what the guest then does differs (it reads nothing, renames nothing): so only check it costs less.
        long empty = run(new FunctionFiles(Optional.empty(), new AssetMount("/w", true),
                new ScratchLimits(64 << 10, 8)), "writable", "/w").fuelUsed();
        assertTrue(empty < first, empty + " < " + first);
    }

    @Test
    void aWriteThatFillsScratchIsPartialAsWrite2AndASeekPastTheEndIsAllowedButNotAWriteThere() {
        assertEquals("""
                write 6000: 6000
                write 6000: 2192
                write 6000: errno 51
                ftruncate 0: errno 0
                writev 3000+8000: 8192
                seek 2^40: 1099511627776
                write at 2^40: errno 51
                read at 2^40: 0
                seek end: 8192
                """, out(run(new FunctionFiles(Optional.empty(), new ScratchLimits(8192, 4)), "partial")));
    }

    @Test
    void appendInScratchWorksWithTruncateAndReadingAndCanBeSwitched() {
        // Chicory alone: O_APPEND|O_TRUNC is ENOTSUP, an O_RDWR|O_APPEND file cannot be read, fcntl cannot switch it.
        assertEquals("""
                open append|trunc: ok
                write 2: 2
                seek 0: 0
                write 2: 2
                position: 4
                pwrite 3 at 0: 3
                position: 4, end: 4
                flags have O_APPEND: 1
                write 2: 2
                seek 0: 0
                read: XYZdef
                fcntl clear O_APPEND: errno 0
                flags have O_APPEND: 0
                seek 0, write 2: 0 2
                fcntl set O_APPEND: errno 0
                seek 0, write 2: 0 2
                read: ghZdefij
                append|trunc an existing file, then size: 0
                append under /assets: errno 69
                """, out(run(new FunctionFiles(Optional.of(assets), new ScratchLimits(64 << 10, 8)), "append")));
    }

    @Test
    void aWritableCopyIsChargedTwentyFuelPerEntryAndOnePerByteWhenMadeAndNothingWhenNeverUsed(@TempDir Path empty,
            @TempDir Path big) throws IOException {
        Files.write(big.resolve("big.bin"), new byte[1 << 20]);
        Files.createDirectories(big.resolve("d"));
        ScratchLimits scratch = new ScratchLimits(4 << 20, 16);
        // "leave" does the same with either tree (its first file call, a stat, makes the copy).
        long withEmpty = leaveFuel(empty, scratch);
        long withBig = leaveFuel(big, scratch);
        assertEquals(2 * dev.sluice.scheduler.fuel.FuelCosts.FILE_PER_ENTRY
                + (1 << 20) * dev.sluice.scheduler.fuel.FuelCosts.HOST_PER_BYTE, withBig - withEmpty);
        // A function that touches no file gets no copy and pays nothing for one.
        FunctionSpec hello = scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of("hello"),
                TestModules.load("hello"), 64, 30_000, 1 << 20, FUEL)).spec();
        long plain = scheduler.dispatcher().invoke(hello, new InvocationRequest(new byte[0], List.of(), Map.of()))
                .fuelUsed();
        long granted = scheduler.dispatcher().invoke(hello, new InvocationRequest(new byte[0], List.of(), Map.of(),
                new FunctionFiles(Optional.of(big), new AssetMount("/", true), scratch))).fuelUsed();
        assertEquals(plain, granted);
    }

    private static long leaveFuel(Path tree, ScratchLimits scratch) {
        InvocationResult result = run(new FunctionFiles(Optional.of(tree), new AssetMount("/tmp", true), scratch),
                "leave");
        assertEquals("left.txt before: absent\nleft.txt after: present\n", out(result));
        return result.fuelUsed();
    }

    @Test
    void writableAssetsThatDoNotFitTheScratchSpaceAreRefusedBeforeTheGuestRuns() {
        AssetMount writable = new AssetMount("/", true);
        var bytes = org.junit.jupiter.api.Assertions.assertThrows(
                dev.sluice.scheduler.SchedulerException.AssetsExceedScratch.class,
                () -> run(new FunctionFiles(Optional.of(tree), writable, new ScratchLimits(8191, 8)), "leave"));
        assertEquals("scratch-bytes", bytes.bound());
        assertEquals("the writable assets take 8192 bytes in blocks of 4096 (expected: at most scratch-bytes, 8191,"
                + " rounded down to whole blocks)", bytes.getMessage());
        var inodes = org.junit.jupiter.api.Assertions.assertThrows(
                dev.sluice.scheduler.SchedulerException.AssetsExceedScratch.class,
                () -> run(new FunctionFiles(Optional.of(tree), writable, new ScratchLimits(8192, 2)), "leave"));
        assertEquals("scratch-inodes", inodes.bound());
        assertEquals("the writable assets hold 3 files and directories (expected: at most scratch-inodes, 2)",
                inodes.getMessage());
        var none = org.junit.jupiter.api.Assertions.assertThrows(
                dev.sluice.scheduler.SchedulerException.AssetsExceedScratch.class,
                () -> run(new FunctionFiles(Optional.of(tree), writable, ScratchLimits.NONE), "leave"));
        assertEquals("scratch-bytes", none.bound());
        // Exactly the size fits; the guest then has no room for left.txt's block but may create it empty.
        assertEquals("left.txt before: absent\nleft.txt after: present\n", out(run(new FunctionFiles(
                Optional.of(tree), new AssetMount("/tmp", true), new ScratchLimits(8192 + 4095, 4)), "leave")));
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
