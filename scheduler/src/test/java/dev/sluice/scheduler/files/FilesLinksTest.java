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
import dev.sluice.scheduler.testing.BoundedAttack;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Symbolic and hard links in scratch space (resources/wasm/links.c, wasi-libc): made, read, followed and removed;
 * never out of the preopen (a target that would leave it is refused when made, and the call's Jimfs has nothing
 * else); loops and long chains {@code ELOOP} at once; a link costs an inode and a block, a hard link nothing, and
 * removing them gives it all back; hostile sizes are errnos. Expected output lines are the program's own.
 */
class FilesLinksTest {
    private static final long FUEL = 10_000_000_000L;
    private static final long BOUND_MS = 2_000;

    @TempDir
    static Path dataDir;
    @TempDir
    static Path assets;

    private static LocalScheduler scheduler;
    private static FunctionSpec links;

    @BeforeAll
    static void open() throws IOException {
        scheduler = LocalScheduler.open(new SchedulerSettings(1, 1, 8, 1 << 20, 1 << 20, 2L << 20), dataDir,
                InstantSource.fixed(Instant.EPOCH));
        links = scheduler.functions().deploy(new DeployRequest("acme", FunctionName.of("links"),
                TestModules.load("links"), 64, 30_000, 1 << 20, FUEL)).spec();
        Files.writeString(assets.resolve("greeting.txt"), "hello from assets\n");
    }

    @AfterAll
    static void close() {
        scheduler.close();
    }

    private static String run(FunctionFiles given, String mode) {
        BoundedAttack<InvocationResult> measured = BoundedAttack.run(() -> scheduler.dispatcher().invoke(links,
                new InvocationRequest(new byte[0], List.of("links", mode), Map.of(), given)));
        InvocationResult result = measured.within(mode, BOUND_MS, 256);
        assertEquals(0, result.exitCode(), new String(result.stderr(), UTF_8));
        return new String(result.stdout(), UTF_8);
    }

    @Test
    void linksWorkInsideScratchAndNeverLeadOutOfIt() throws IOException {
        String out = run(new FunctionFiles(Optional.of(assets), new ScratchLimits(1 << 20, 100)), "tour");
        assertEquals(TOUR, out);
        try (Stream<Path> left = Files.list(assets)) {
            assertEquals(List.of(assets.resolve("greeting.txt")), left.toList(), "the assets unchanged");
        }
    }

    static final String TOUR = """
            write /tmp/f: errno 0
            symlink /tmp/l -> f: errno 0
            read /tmp/l: in scratch
            readlink /tmp/l: f
            lstat /tmp/l is a link: 1
            stat /tmp/l is a file: 1
            open nofollow /tmp/l: errno 32
            symlink again /tmp/l: errno 20
            set the link's own mtime: errno 0
            mtime of the link, of its file: 1000 unchanged
            set the file's mtime through the link: errno 0
            mtime of the link, of its file: 1000 2000
            mkdir /tmp/d: errno 0
            write /tmp/d/g: errno 0
            symlink /tmp/dl -> d: errno 0
            read via a directory link /tmp/dl/g: in d
            unlink /tmp/dl: errno 0
            read after /tmp/d/g: in d
            mkdir /tmp/ls: errno 0
            list /tmp/ls: a:7 b:7 dangling:7 f:4 l:7 sub:3
            readlink /tmp/ls/l: f
            symlink through sub's descriptor: errno 0
            readlink through it: errno 0, target
            open /tmp/.: errno 0
            symlink through it: errno 0
            readlink through it: errno 0, ls/f
            symlink /tmp/ls/up -> d: errno 0
            readlink /tmp/ls/up: ../d
            symlink /tmp/ls/deep -> d/g: errno 0
            readlink /tmp/ls/deep: ../d/g
            symlink -> /etc/passwd: errno 2
            symlink -> /: errno 2
            symlink -> ../..: errno 2
            symlink -> d/../../assets/greeting.txt: errno 2
            symlink -> empty: errno 44
            symlink /tmp/up -> d/..: errno 0
            readlink /tmp/up: .
            stat /tmp/up/up/up/f: errno 0
            stat /tmp/up/../../greeting.txt: errno 2
            unlink /tmp/up: errno 0
            symlink a -> b, b -> a: errno 0 0
            open /tmp/a: errno 32
            stat /tmp/a: errno 32
            lstat /tmp/a: errno 0
            open /tmp/a/x: errno 32
            create /tmp/a/x: errno 32
            mkdir /tmp/a/x: errno 32
            unlink /tmp/a/x: errno 32
            rmdir /tmp/a/x: errno 32
            symlink self /tmp/s -> s: errno 0
            open /tmp/s: errno 32
            chain of 45 links
            read 40 links deep /tmp/c40: in scratch
            open 41 links deep: errno 32
            stat 45 links deep: errno 32
            symlink /tmp/dang -> nothing: errno 0
            create through /tmp/dang: errno 0
            read /tmp/nothing: made
            link /tmp/f /tmp/h: errno 0
            nlink /tmp/f: 2
            read /tmp/h: in scratch
            link again: errno 20
            link of a directory: errno 63
            link of a missing file: errno 44
            link onto a dangling link: errno 20
            link of a symlink: errno 0
            readlink /tmp/hl: f
            link /assets -> /tmp: errno 75
            link /tmp -> /assets: errno 69
            symlink in /assets: errno 69
            unlink /tmp/f: errno 0
            read the other name /tmp/h: in scratch
            symlink with a 1 MiB target: errno 37
            symlink with a 4097-byte target: errno 37
            readlink, buffer 2^31-1 at the end of memory: errno 21
            readlink, 1 byte at the end of memory: errno 0
            readlink, used at the end of memory: errno 21
            readlink, 2 bytes: errno 0, 1 bytes
            """;

    @Test
    void tenThousandSymlinksStopAtTheInodeBoundAndGiveItBack() {
        assertEquals("""
                symlinks: 64, then errno 51
                removed: 64
                then 4 KiB files: 64, then errno 51
                then empty files: 64
                """, run(new FunctionFiles(Optional.empty(), new ScratchLimits(1 << 20, 64)), "many"));
    }

    @Test
    void eachSymlinkTakesABlockAndGivesItBack() {
        // 16 blocks, inodes to spare: the 17th link is NOSPC for bytes; then the 16 blocks hold 16 files again.
        assertEquals("""
                symlinks: 16, then errno 51
                removed: 16
                then 4 KiB files: 16, then errno 51
                then empty files: 10000
                """, run(new FunctionFiles(Optional.empty(), new ScratchLimits(64 << 10, 10_000)), "many"));
    }

    @Test
    void aHardLinkAddsNoInodeAndOnlyTheLastNameFreesIt() {
        assertEquals("""
                empty files at first: 8
                write /tmp/f: errno 0
                link /tmp/g: errno 0
                link /tmp/sub/h: errno 0 0
                empty files with f, g, sub, sub/h: 6
                unlink /tmp/f: errno 0
                empty files with g, sub, sub/h: 6
                rename /tmp/sub/h over /tmp/g, the same file: errno 0
                empty files with g, sub, sub/h: 6
                write /tmp/x: errno 0
                empty files with g, sub, sub/h, x: 5
                rename /tmp/x over /tmp/g: errno 0
                empty files with g (was x), sub, sub/h: 5
                unlink /tmp/sub/h: errno 0
                empty files with g, sub: 6
                unlink /tmp/g, rmdir /tmp/sub: errno 0 0
                empty files at last: 8
                """, run(new FunctionFiles(Optional.empty(), new ScratchLimits(1 << 20, 8)), "hard"));
    }

    @Test
    void aDescriptorDropsRightsForGoodAndWhatItOpensInheritsTheLoss() {
        // Chicory answers ENOTSUP to fd_fdstat_set_rights and checks no right; FileGuard keeps them per descriptor (Descriptors).
        // wasi-libc reports a write refused ENOTCAPABLE as EBADF (8), a seek as ESPIPE (70); the standard streams'
        // rights stay Chicory's (ENOTSUP, 58).
        assertEquals("""
                write: 3
                has fd_write: 1
                drop fd_write: errno 0
                write: errno 8
                pwrite: errno 8
                has fd_write: 0
                pread: 3
                regain fd_write: errno 76
                drop fd_seek and fd_tell: errno 0
                lseek: errno 70
                tell: errno 70
                mkdir /tmp/sub: errno 0
                open /tmp/sub: errno 0
                drop path_filestat_set_size, and fd_write for what it opens: errno 0
                create|trunc in sub: errno 76
                create in sub: errno 0
                it has fd_write: 0, fd_read: 1
                write to it: errno 8
                give it fd_write: errno 76
                set rights of stdout: errno 58
                """, run(new FunctionFiles(Optional.empty(), new ScratchLimits(1 << 20, 8)), "rights"));
    }

    @Test
    void theCostliestLookupIsBoundedAndPaidFor() {
        // 127 directories, 41 links each naming the next by a 128-name path: a stat through them expands 40 links
        // (ELOOP), walking up to 40 x 128 names in each of its lookups (FileGuard's and Chicory's).
        FunctionFiles given = new FunctionFiles(Optional.empty(), new ScratchLimits(1 << 20, 1000));
        long[] fuel = new long[2];
        long[] millis = new long[2];
        int[] calls = {1, 101};
        for (int i = 0; i < 2; i++) {
            int n = calls[i];
            BoundedAttack<InvocationResult> measured = BoundedAttack.run(() -> scheduler.dispatcher().invoke(links,
                    new InvocationRequest(new byte[0], List.of("links", "deep", "" + n), Map.of(), given)));
            InvocationResult result = measured.within("deep " + n, BOUND_MS, 256);
            assertEquals("""
                    depth: 127
                    links: 41
                    symlink /tmp/start: errno 0
                    symlink to 129 names: errno 37
                    %d stats through 41 links: errno 32
                    """.formatted(n), new String(result.stdout(), UTF_8));
            fuel[i] = result.fuelUsed();
            millis[i] = measured.millis();
        }
        long perStat = (fuel[1] - fuel[0]) / 100;
        System.out.printf("files links: a stat through 41 links of 128 names: %d fuel, 100 in %d ms%n", perStat,
                millis[1] - millis[0]);
        // The path call (1 000) and 40 links x 128 names x 20; the rest is the guest's own instructions.
        assertTrue(perStat >= 1_000 + 40 * 128 * 20, "charged " + perStat);
    }
}
