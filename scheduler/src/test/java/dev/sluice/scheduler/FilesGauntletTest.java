package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.files.FunctionFiles;
import dev.sluice.scheduler.files.ScratchLimits;
import dev.sluice.scheduler.testing.BoundedAttack;
import dev.sluice.scheduler.testing.WasiCallModules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The file functions attacked with guest-chosen sizes, on real descriptors: a 1-page module opens {@code /assets/f}
 * (a 1 MiB asset) or creates {@code /tmp/f} (fd 5; /assets is 3, /tmp 4), then makes one hostile call and exits with
 * its errno. Each must answer its errno (never a trap, never an error of the host) within {@value #BOUND_MS} ms and
 * without the heap peaking more than {@value #HEAP_SLACK_MIB} MiB higher: Chicory allocates from guest lengths, so
 * every length must have been checked against the guest's memory, every offset against /tmp's bound, first.
 */
class FilesGauntletTest {
    private static final long BOUND_MS = 2_000; // the functions' timeout is 5 s; a shared CI machine is slow
    private static final long HEAP_SLACK_MIB = 256;
    private static final int MEMORY = 65536;
    private static final int SUCCESS = 0;
    private static final int EFAULT = 21;
    private static final int EINVAL = 28;
    private static final int ENAMETOOLONG = 37;
    private static final int NOSPC = 51;
    private static final int EPERM = 63;
    private static final int EROFS = 69;
    private static final long READ_WRITE = 2 | 64; // rights FD_READ | FD_WRITE
    private static final ScratchLimits SCRATCH = new ScratchLimits(1 << 20, 64);

    @TempDir
    static Path dataDir;
    @TempDir
    static Path assets;
    @TempDir
    static Path outside;
    /** A writable mount's tree: the file {@code f} the scratch attacks open, seeded. */
    @TempDir
    static Path seed;

    private static LocalScheduler scheduler;

    @BeforeAll
    static void open() throws IOException {
        scheduler = LocalScheduler.open(new SchedulerSettings(1, 1, 8, 64 << 10, 4 << 10, 2L << 20), dataDir,
                InstantSource.fixed(Instant.EPOCH));
        Files.write(assets.resolve("f"), new byte[1 << 20]);
        // Links the upload would refuse, as a bug of the store could leave them: they must not lead out.
        Files.writeString(outside.resolve("x"), "host secret");
        Files.createSymbolicLink(assets.resolve("d"), outside);
        Files.createSymbolicLink(assets.resolve("l"), outside.resolve("x"));
        Files.writeString(seed.resolve("f"), "seeded");
        // Warm up: the first file-using invocation loads Jimfs and Chicory's file classes, not the attack's work.
        attacks().findFirst().ifPresent(
                new FilesGauntletTest()::everyFileCallAnswersItsErrnoPromptlyWithoutAllocatingFromGuestSizes);
    }

    @AfterAll
    static void close() {
        scheduler.close();
    }

    /** One hostile call on fd 5, opened first under {@code /assets} or {@code /tmp}. */
    record Attack(String name, boolean scratch, String function, long[] args, Map<Integer, Integer> stores,
                  int expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Memory: the path "f" at 2048, results at 512, the new fd at 600, one iovec at 1024, buffers at 4096. */
    private static Map<Integer, Integer> iovec(long length) {
        return Map.of(2048, (int) 'f', 1024, 4096, 1028, (int) length);
    }

    /** {@code count} iovecs at 8192, each over all of memory. */
    private static Map<Integer, Integer> allMemoryIovecs(int count) {
        var stores = new HashMap<Integer, Integer>();
        stores.put(2048, (int) 'f');
        for (int i = 0; i < count; i++) {
            stores.put(8192 + 8 * i, 0);
            stores.put(8196 + 8 * i, MEMORY);
        }
        return stores;
    }

    static Stream<Attack> attacks() {
        Map<Integer, Integer> path = Map.of(2048, (int) 'f');
        long edge = MEMORY - 4096;
        return Stream.of(
                new Attack("pread asset, iovec to the memory edge", false, "fd_pread",
                        new long[] {5, 1024, 1, 0, 512}, iovec(edge), SUCCESS),
                new Attack("pread asset, iovec past the edge", false, "fd_pread",
                        new long[] {5, 1024, 1, 0, 512}, iovec(edge + 1), EFAULT),
                new Attack("pread asset, iovec 0x7ffffff0", false, "fd_pread",
                        new long[] {5, 1024, 1, 0, 512}, iovec(0x7FFF_FFF0L), EFAULT),
                new Attack("pread asset, iovec 0xffffffff", false, "fd_pread",
                        new long[] {5, 1024, 1, 0, 512}, iovec(0xFFFF_FFFFL), EFAULT),
                new Attack("pread asset, 1025 iovecs", false, "fd_pread",
                        new long[] {5, 8192, 1025, 0, 512}, allMemoryIovecs(1), EINVAL),
                new Attack("pread asset, 1024 iovecs of all memory", false, "fd_pread",
                        new long[] {5, 8192, 1024, 0, 512}, allMemoryIovecs(1024), SUCCESS),
                new Attack("pread asset, offset 2^63-16", false, "fd_pread",
                        new long[] {5, 1024, 1, Long.MAX_VALUE - 15, 512}, iovec(16), EINVAL),
                new Attack("pread asset, offset 2^62", false, "fd_pread",
                        new long[] {5, 1024, 1, 1L << 62, 512}, iovec(16), SUCCESS),
                new Attack("pread asset, offset -1", false, "fd_pread",
                        new long[] {5, 1024, 1, -1, 512}, iovec(16), EINVAL),
                new Attack("read asset, 1024 iovecs of all memory", false, "fd_read",
                        new long[] {5, 8192, 1024, 512}, allMemoryIovecs(1024), SUCCESS),
                new Attack("write asset", false, "fd_write",
                        new long[] {5, 1024, 1, 512}, iovec(16), EROFS),
                new Attack("pwrite asset", false, "fd_pwrite",
                        new long[] {5, 1024, 1, 0, 512}, iovec(16), EROFS),
                new Attack("set size of asset", false, "fd_filestat_set_size",
                        new long[] {5, 0}, path, EROFS),
                new Attack("allocate in asset", false, "fd_allocate",
                        new long[] {5, 0, 16}, path, EROFS),
                new Attack("pwrite tmp, iovec to the edge", true, "fd_pwrite",
                        new long[] {5, 1024, 1, 0, 512}, iovec(edge), SUCCESS),
                new Attack("pwrite tmp, iovec 0x7ffffff0", true, "fd_pwrite",
                        new long[] {5, 1024, 1, 0, 512}, iovec(0x7FFF_FFF0L), EFAULT),
                new Attack("pwrite tmp, offset 2^63-16", true, "fd_pwrite",
                        new long[] {5, 1024, 1, Long.MAX_VALUE - 15, 512}, iovec(16), EINVAL),
                new Attack("pwrite tmp, offset 2^62", true, "fd_pwrite",
                        new long[] {5, 1024, 1, 1L << 62, 512}, iovec(16), NOSPC),
                new Attack("pwrite tmp, offset 2^40", true, "fd_pwrite",
                        new long[] {5, 1024, 1, 1L << 40, 512}, iovec(16), NOSPC),
                new Attack("pwrite tmp, offset just inside the bound", true, "fd_pwrite",
                        new long[] {5, 1024, 1, (1 << 20) - 16, 512}, iovec(16), SUCCESS),
                new Attack("pwrite tmp, offset -1", true, "fd_pwrite",
                        new long[] {5, 1024, 1, -1, 512}, iovec(16), EINVAL),
                // As write(2): the bytes that fit (1 MiB) are written and counted; the next write would be NOSPC.
                new Attack("write tmp, 1024 iovecs of all memory (64 MiB into 1 MiB)", true, "fd_write",
                        new long[] {5, 8192, 1024, 512}, allMemoryIovecs(1024), SUCCESS),
                new Attack("pwrite tmp, 1024 iovecs of all memory", true, "fd_pwrite",
                        new long[] {5, 8192, 1024, 0, 512}, allMemoryIovecs(1024), NOSPC),
                // As lseek(2), a position past the end is allowed; a write there is NOSPC (FilesTest, "partial").
                new Attack("seek tmp to 2^63-1", true, "fd_seek",
                        new long[] {5, Long.MAX_VALUE, 0, 512}, path, SUCCESS),
                new Attack("seek tmp 2^40 from the end", true, "fd_seek",
                        new long[] {5, 1L << 40, 2, 512}, path, SUCCESS),
                new Attack("set size of tmp file to 2^62", true, "fd_filestat_set_size",
                        new long[] {5, 1L << 62}, path, NOSPC),
                new Attack("set size of tmp file to 2 MiB", true, "fd_filestat_set_size",
                        new long[] {5, 2 << 20}, path, NOSPC),
                new Attack("set size of tmp file to 1 MiB", true, "fd_filestat_set_size",
                        new long[] {5, 1 << 20}, path, SUCCESS),
                new Attack("allocate 2^62 at 2^62 in tmp", true, "fd_allocate",
                        new long[] {5, 1L << 62, 1L << 62}, path, NOSPC),
                new Attack("set size of tmp file to 2^64-1", true, "fd_filestat_set_size",
                        new long[] {5, -1L}, path, EINVAL),
                new Attack("set size of tmp file to 2^63", true, "fd_filestat_set_size",
                        new long[] {5, Long.MIN_VALUE}, path, EINVAL),
                new Attack("allocate 1 at 2^64-1 in tmp", true, "fd_allocate",
                        new long[] {5, -1L, 1}, path, EINVAL),
                new Attack("readdir assets, cookie 2^63-1", false, "fd_readdir",
                        new long[] {3, 4096, edge, Long.MAX_VALUE, 512}, path, SUCCESS),
                new Attack("readdir tmp, buffer of all memory past 4096", true, "fd_readdir",
                        new long[] {4, 4096, edge, 0, 512}, path, SUCCESS),
                new Attack("readdir assets, buffer 0x7ffffff0", false, "fd_readdir",
                        new long[] {3, 4096, 0x7FFF_FFF0L, 0, 512}, path, EFAULT),
                new Attack("open under assets, path length 2^31", false, "path_open",
                        new long[] {3, 0, 2048, 1L << 31, 0, 2, 0, 0, 512}, path, EFAULT),
                new Attack("open under tmp, path of 5000 bytes", true, "path_open",
                        new long[] {4, 0, 2048, 5000, 1, READ_WRITE, 0, 0, 512}, path, ENAMETOOLONG),
                new Attack("open under tmp, a 300-byte name", true, "path_open",
                        new long[] {4, 0, 2048, 300, 1, READ_WRITE, 0, 0, 512}, name(300), ENAMETOOLONG),
                new Attack("mkdir under tmp, a 255-byte name", true, "path_create_directory",
                        new long[] {4, 2048, 255}, name(255), SUCCESS),
                new Attack("open assets/d/x, d a link out of /assets", false, "path_open",
                        new long[] {3, 0, 2048, 3, 0, 2, 0, 0, 512}, Map.of(2048, 0x782f64), EPERM),
                new Attack("open assets/l following it, a link out of /assets", false, "path_open",
                        new long[] {3, 1, 2048, 1, 0, 2, 0, 0, 512}, Map.of(2048, (int) 'l'), EPERM),
                new Attack("stat assets/d/x, d a link out of /assets", false, "path_filestat_get",
                        new long[] {3, 1, 2048, 3, 4096}, Map.of(2048, 0x782f64), EPERM),
                new Attack("unlink under tmp, path length 0xffffffff", true, "path_unlink_file",
                        new long[] {4, 2048, 0xFFFF_FFFFL}, path, EFAULT),
                // Links are made in scratch now: their targets and readlink's buffer are guest-sized too.
                new Attack("symlink in tmp, a target of length 2^31", true, "path_symlink",
                        new long[] {2048, 1L << 31, 4, 2048, 1}, path, EFAULT),
                new Attack("symlink in tmp, a target of 5000 bytes", true, "path_symlink",
                        new long[] {2048, 5000, 4, 2048, 1}, path, ENAMETOOLONG),
                new Attack("readlink in tmp, buffer 0x7ffffff0", true, "path_readlink",
                        new long[] {4, 2048, 1, 4096, 0x7FFF_FFF0L, 512}, path, EFAULT));
    }

    /** A name of {@code length} bytes of {@code a} at 2048, stored four at a time. */
    private static Map<Integer, Integer> name(int length) {
        var stores = new HashMap<Integer, Integer>();
        for (int i = 0; i < (length + 3) / 4; i++) {
            stores.put(2048 + 4 * i, 0x61616161);
        }
        return stores;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attacks")
    void everyFileCallAnswersItsErrnoPromptlyWithoutAllocatingFromGuestSizes(Attack attack) {
        // path_open(dir, 0, "f", oflags, rights, 0, 0, &fd at 600): an asset opened to read, a /tmp file created.
        long[] open = attack.scratch()
                ? new long[] {4, 0, 2048, 1, 1, READ_WRITE, 0, 0, 600}
                : new long[] {3, 0, 2048, 1, 0, 2, 0, 0, 600};
        var stores = new HashMap<>(attack.stores());
        stores.putIfAbsent(2048, (int) 'f');
        if (attack.name().contains("name")) {
            stores.putAll(attack.stores()); // the attack's own path; the open of "f" then fails harmlessly
        }
        byte[] module = WasiCallModules.calling("path_open", WasiParams.of("path_open"), open, attack.function(),
                WasiParams.of(attack.function()), true, attack.args(), stores, 1, 1);
        FunctionSpec spec = scheduler.functions().deploy(new DeployRequest("attacker", FunctionName.of("attack"),
                module, 16, 5_000, 1 << 20, 1L << 50)).spec();
        var request = new InvocationRequest(new byte[0], List.of("attack"), Map.of(),
                new FunctionFiles(Optional.of(assets), SCRATCH));
        int errno;
        try {
            errno = timed(attack.name(), () -> scheduler.dispatcher().invoke(spec, request)).exitCode();
        } catch (InvocationFailed e) {
            errno = fail(attack + " failed instead of answering an errno: " + e.kind() + " " + e.getMessage());
        }
        assertEquals(attack.expected(), errno, attack.name());
    }

    static Stream<Attack> scratchAttacks() {
        return attacks().filter(Attack::scratch);
    }

    /**
     * The /tmp attacks against a writable copy of assets at {@code /} instead (one preopen, fd 3, the copy's
     * {@code f} opened as fd 4): the copy lives in the same bounded scratch space and answers the same.
     */
    @ParameterizedTest(name = "writable: {0}")
    @MethodSource("scratchAttacks")
    void theSameAttacksOnAWritableCopyOfTheAssetsAnswerTheSame(Attack attack) {
        long[] open = {3, 0, 2048, 1, 1, READ_WRITE, 0, 0, 600};
        long[] args = attack.args().clone();
        args[0] -= 1; // its descriptors: the root 3 (not /tmp's 4), the file 4 (not 5)
        var stores = new HashMap<>(attack.stores());
        stores.putIfAbsent(2048, (int) 'f');
        byte[] module = WasiCallModules.calling("path_open", WasiParams.of("path_open"), open, attack.function(),
                WasiParams.of(attack.function()), true, args, stores, 1, 1);
        FunctionSpec spec = scheduler.functions().deploy(new DeployRequest("attacker", FunctionName.of("attack"),
                module, 16, 5_000, 1 << 20, 1L << 50)).spec();
        var request = new InvocationRequest(new byte[0], List.of("attack"), Map.of(), new FunctionFiles(
                Optional.of(seed), new dev.sluice.scheduler.files.AssetMount("/", true), SCRATCH));
        int errno;
        try {
            errno = timed("writable: " + attack.name(), () -> scheduler.dispatcher().invoke(spec, request)).exitCode();
        } catch (InvocationFailed e) {
            errno = fail(attack + " failed instead of answering an errno: " + e.kind() + " " + e.getMessage());
        }
        assertEquals(attack.expected(), errno, attack.name());
    }

    static Stream<long[]> preopenListings() {
        // {0: fd_prestat_get, 1: fd_prestat_dir_name, fd, length, errno}; /assets is 3 (7 bytes), /tmp 4 (4 bytes)
        int badf = 8;
        return Stream.of(new long[] {0, 3, 0, SUCCESS}, new long[] {0, 4, 0, SUCCESS}, new long[] {0, 5, 0, badf},
                new long[] {0, 0, 0, badf}, new long[] {0, 2, 0, badf}, new long[] {0, 0xFFFF_FFFFL, 0, badf},
                new long[] {1, 3, 7, SUCCESS}, new long[] {1, 3, 6, ENAMETOOLONG}, new long[] {1, 3, 0, ENAMETOOLONG},
                new long[] {1, 4, 4, SUCCESS}, new long[] {1, 4, 3, ENAMETOOLONG}, new long[] {1, 5, 16, badf},
                new long[] {1, 1, 16, badf}, new long[] {1, 3, 0xFFFF_FFFFL, EFAULT},
                new long[] {1, 3, MEMORY - 1024 + 1, EFAULT});
    }

    /**
     * Before an invocation opens its files, {@code WasiHost} answers the preopen listing itself; after, Chicory
     * does: every answer must be the same (the first call is a harmless listing, or a {@code path_open} that opens).
     */
    @ParameterizedTest(name = "{index}")
    @MethodSource("preopenListings")
    void thePreopenListingAnswersTheSameBeforeAndAfterTheFilesAreOpened(long[] call) {
        String function = call[0] == 0 ? "fd_prestat_get" : "fd_prestat_dir_name";
        long[] args = call[0] == 0 ? new long[] {call[1], 512} : new long[] {call[1], 1024, call[2]};
        int[] errnos = new int[2];
        for (int opened = 0; opened < 2; opened++) {
            String first = opened == 1 ? "path_open" : "fd_prestat_get";
            long[] firstArgs = opened == 1 ? new long[] {3, 0, 2048, 1, 0, 2, 0, 0, 600} : new long[] {3, 512};
            byte[] module = WasiCallModules.calling(first, WasiParams.of(first), firstArgs, function,
                    WasiParams.of(function), true, args, Map.of(2048, (int) 'f'), 1, 1);
            FunctionSpec spec = scheduler.functions().deploy(new DeployRequest("attacker", FunctionName.of("listing"),
                    module, 16, 5_000, 1 << 20, 1L << 50)).spec();
            errnos[opened] = scheduler.dispatcher().invoke(spec, new InvocationRequest(new byte[0],
                    List.of("listing"), Map.of(), new FunctionFiles(Optional.of(assets), SCRATCH))).exitCode();
        }
        assertEquals(call[3], errnos[1], function + java.util.Arrays.toString(args) + ": Chicory's answer");
        assertEquals(errnos[1], errnos[0], function + java.util.Arrays.toString(args) + ": before and after opening");
    }

    @org.junit.jupiter.api.Test
    void aPreadIsChargedEveryByteItOffersAndAPathCallItsFixedCost() {
        // The same module but for the iovec's length: the difference is the bytes offered, though the asset
        // holds far more than either (so both reads fill their buffers) and then far fewer (past its end).
        assertEquals(4080 * dev.sluice.scheduler.fuel.FuelCosts.HOST_PER_BYTE,
                preadFuel(4096, 0) - preadFuel(16, 0), "bytes offered, read in full");
        assertEquals(4080 * dev.sluice.scheduler.fuel.FuelCosts.HOST_PER_BYTE,
                preadFuel(4096, 1L << 30) - preadFuel(16, 1L << 30), "bytes offered, none read");
    }

    private static long preadFuel(int length, long offset) {
        byte[] module = WasiCallModules.calling("path_open", WasiParams.of("path_open"),
                new long[] {3, 0, 2048, 1, 0, 2, 0, 0, 600}, "fd_pread", WasiParams.of("fd_pread"), true,
                new long[] {5, 1024, 1, offset, 512}, iovec(length), 1, 1);
        FunctionSpec spec = scheduler.functions().deploy(new DeployRequest("attacker", FunctionName.of("fuel"),
                module, 16, 5_000, 1 << 20, 1L << 50)).spec();
        var result = scheduler.dispatcher().invoke(spec, new InvocationRequest(new byte[0], List.of("fuel"),
                Map.of(), new FunctionFiles(Optional.of(assets), SCRATCH)));
        assertEquals(0, result.exitCode());
        return result.fuelUsed();
    }

    private static <T> T timed(String call, java.util.function.Supplier<T> attack) {
        BoundedAttack<T> measured = BoundedAttack.run(attack);
        System.out.printf("files gauntlet: %s: %d ms, %d ms of CPU%n", call, measured.millis(), measured.cpuMillis());
        return measured.within(call, BOUND_MS, HEAP_SLACK_MIB);
    }
}
