package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.InvocationFailed.Kind;
import dev.sluice.scheduler.fuel.FuelCosts;
import dev.sluice.scheduler.testing.BoundedAttack;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.scheduler.testing.WasiCallModules;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The WASI gauntlet: every WASI function that takes a guest pointer or length, called by a 1-page module with that
 * argument at 0, at the memory edge (the largest value that still fits), just past it, {@code 0x7ffffff0} and
 * {@code 0xffffffff}. Each call must end within {@value #BOUND_MS} ms (the function's timeout is
 * {@value #TIMEOUT_MS} ms) without the heap growing by more than {@value #HEAP_SLACK_MIB} MiB, with the WASI errno
 * (the module exits with it: {@code EFAULT} or {@code EINVAL} past the edge, never {@code EFAULT} inside it) or
 * the guest's trap, never an ERROR in the log; and afterwards the same single worker runs {@code hello} normally.
 */
class WasiGauntletTest {
    private static final long BOUND_MS = 500;
    private static final long TIMEOUT_MS = 5_000;
    private static final long HEAP_SLACK_MIB = 256;
    private static final long AMPLE_FUEL = 1L << 50;
    private static final int MEMORY = 65536; // the attackers' one page
    private static final int EFAULT = 21;
    private static final int EINVAL = 28;
    private static final int EBADF = 8;
    private static final int ENAMETOOLONG = 37;
    private static final int IOV_MAX = 1024;
    // Memory layout of the attackers: results at 512, an iovec at 1024 -> (2048, 16), strings and buffers at 2048,
    // a second buffer at 3072, subscriptions at 4096, events at 8192.
    private static final Map<Integer, Integer> IOVEC = Map.of(1024, 2048, 1028, 16);
    private static final Map<Integer, Integer> WRITE_SUBSCRIPTION = Map.of(4104, 2, 4112, 1); // fd_write on fd 1
    private static final List<String> ARGS = List.of("attacker");
    private static final Map<String, String> ENV = Map.of("K", "V");

    @TempDir
    static Path dataDir;

    private static LocalScheduler scheduler;
    private static long worstMs;
    private static String worstCall = "none";
    /** The root: Sluice's loggers and Chicory's (held: JUL keeps loggers weakly). */
    private static final Logger SLUICE_LOG = Logger.getLogger("");
    private final List<LogRecord> errors = new CopyOnWriteArrayList<>();
    private final Handler errorCapture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
                errors.add(record);
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeAll
    static void open() {
        var settings = new SchedulerSettings(1, 1, 8, 64 << 10, 4 << 10, 2L << 20);
        scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH));
    }

    @AfterAll
    static void close() {
        scheduler.close();
        System.out.printf("WASI gauntlet: worst hostile call %d ms (%s) against its timeout of %d ms%n", worstMs,
                worstCall, TIMEOUT_MS);
    }

    @BeforeEach
    void captureErrors() {
        SLUICE_LOG.addHandler(errorCapture);
    }

    @AfterEach
    void noErrorLoggedAndHelloStillRuns() {
        SLUICE_LOG.removeHandler(errorCapture);
        assertEquals(List.of(), errors.stream().map(r -> r.getLoggerName() + ": " + r.getMessage()).toList(),
                "a guest's fault was logged as an error");
        var hello = scheduler.dispatcher().invoke(deploy("hello", TestModules.load("hello"), AMPLE_FUEL, TIMEOUT_MS),
                new InvocationRequest("after".getBytes(UTF_8), List.of("hello"), Map.of("QUERY_STRING", "q")));
        assertEquals(0, hello.exitCode());
        assertEquals("Content-Type: text/plain\n\nhello q\nafter", new String(hello.stdout(), UTF_8));
    }

    // The attacks: one row per WASI function and argument that is a guest pointer, length or count.

    /** An argument (or, for {@code store >= 0}, the i32 stored at that address) under attack. */
    record Target(String function, long[] args, Map<Integer, Integer> stores, int arg, int store, long edge) {
        @Override
        public String toString() {
            return function + (store >= 0 ? " [mem " + store + "]" : " arg " + arg);
        }
    }

    private static Target arg(String function, long[] args, Map<Integer, Integer> stores, int arg, long edge) {
        return new Target(function, args, stores, arg, -1, edge);
    }

    private static Stream<Target> targets() {
        long[] twoPointers = {512, 516};
        long[] pread = {0, 1024, 1, 0, 512};
        long[] pwrite = {1, 1024, 1, 0, 512};
        long[] read = {0, 1024, 1, 512};
        long[] write = {1, 1024, 1, 512};
        long[] dirName = {3, 2048, 16};
        long[] readdir = {3, 2048, 16, 0, 512};
        long[] onePath = {3, 2048, 4};
        long[] pathStat = {3, 0, 2048, 4, 512};
        long[] pathTimes = {3, 0, 2048, 4, 0, 0, 0};
        long[] link = {3, 0, 2048, 4, 3, 2048, 4};
        long[] open = {3, 0, 2048, 4, 0, 0, 0, 0, 512};
        long[] readlink = {3, 2048, 4, 3072, 16, 512};
        long[] rename = {3, 2048, 4, 3, 2048, 4};
        long[] symlink = {2048, 4, 3, 2048, 4};
        long[] poll = {4096, 8192, 1, 512};
        Map<Integer, Integer> none = Map.of();
        return Stream.of(
                arg("args_get", new long[] {512, 2048}, none, 0, MEMORY - 4),
                arg("args_get", new long[] {512, 2048}, none, 1, MEMORY - "attacker\0".length()),
                arg("args_sizes_get", twoPointers, none, 0, MEMORY - 4),
                arg("args_sizes_get", twoPointers, none, 1, MEMORY - 4),
                arg("environ_get", new long[] {512, 2048}, none, 0, MEMORY - 4),
                arg("environ_get", new long[] {512, 2048}, none, 1, MEMORY - "K=V\0".length()),
                arg("environ_sizes_get", twoPointers, none, 0, MEMORY - 4),
                arg("environ_sizes_get", twoPointers, none, 1, MEMORY - 4),
                arg("clock_res_get", new long[] {1, 512}, none, 1, MEMORY - 8),
                arg("clock_time_get", new long[] {1, 0, 512}, none, 2, MEMORY - 8),
                arg("fd_fdstat_get", new long[] {1, 512}, none, 1, MEMORY - 24),
                arg("fd_filestat_get", new long[] {1, 512}, none, 1, MEMORY - 64),
                arg("fd_pread", pread, IOVEC, 1, MEMORY - 8),
                arg("fd_pread", pread, IOVEC, 2, (MEMORY - 1024) / 8),
                arg("fd_pread", pread, IOVEC, 4, MEMORY - 4),
                arg("fd_pwrite", pwrite, IOVEC, 1, MEMORY - 8),
                arg("fd_pwrite", pwrite, IOVEC, 2, (MEMORY - 1024) / 8),
                arg("fd_pwrite", pwrite, IOVEC, 4, MEMORY - 4),
                arg("fd_prestat_get", new long[] {3, 512}, none, 1, MEMORY - 8),
                arg("fd_prestat_dir_name", dirName, none, 1, MEMORY - 16),
                arg("fd_prestat_dir_name", dirName, none, 2, MEMORY - 2048),
                arg("fd_read", read, IOVEC, 1, MEMORY - 8),
                arg("fd_read", read, IOVEC, 2, IOV_MAX),
                arg("fd_read", read, IOVEC, 3, MEMORY - 4),
                new Target("fd_read", read, IOVEC, -1, 1024, MEMORY - 16),
                new Target("fd_read", read, IOVEC, -1, 1028, MEMORY - 2048),
                arg("fd_write", write, IOVEC, 1, MEMORY - 8),
                arg("fd_write", write, IOVEC, 2, IOV_MAX),
                arg("fd_write", write, IOVEC, 3, MEMORY - 4),
                new Target("fd_write", write, IOVEC, -1, 1024, MEMORY - 16),
                new Target("fd_write", write, IOVEC, -1, 1028, MEMORY - 2048),
                arg("fd_readdir", readdir, none, 1, MEMORY - 16),
                arg("fd_readdir", readdir, none, 2, MEMORY - 2048),
                arg("fd_readdir", readdir, none, 4, MEMORY - 4),
                arg("fd_seek", new long[] {0, 0, 0, 512}, none, 3, MEMORY - 8),
                arg("fd_tell", new long[] {0, 512}, none, 1, MEMORY - 8),
                arg("path_create_directory", onePath, none, 1, MEMORY - 4),
                arg("path_create_directory", onePath, none, 2, MEMORY - 2048),
                arg("path_filestat_get", pathStat, none, 2, MEMORY - 4),
                arg("path_filestat_get", pathStat, none, 3, MEMORY - 2048),
                arg("path_filestat_get", pathStat, none, 4, MEMORY - 64),
                arg("path_filestat_set_times", pathTimes, none, 2, MEMORY - 4),
                arg("path_filestat_set_times", pathTimes, none, 3, MEMORY - 2048),
                arg("path_link", link, none, 2, MEMORY - 4),
                arg("path_link", link, none, 3, MEMORY - 2048),
                arg("path_link", link, none, 5, MEMORY - 4),
                arg("path_link", link, none, 6, MEMORY - 2048),
                arg("path_open", open, none, 2, MEMORY - 4),
                arg("path_open", open, none, 3, MEMORY - 2048),
                arg("path_open", open, none, 8, MEMORY - 4),
                arg("path_readlink", readlink, none, 1, MEMORY - 4),
                arg("path_readlink", readlink, none, 2, MEMORY - 2048),
                arg("path_readlink", readlink, none, 3, MEMORY - 16),
                arg("path_readlink", readlink, none, 4, MEMORY - 3072),
                arg("path_readlink", readlink, none, 5, MEMORY - 4),
                arg("path_remove_directory", onePath, none, 1, MEMORY - 4),
                arg("path_remove_directory", onePath, none, 2, MEMORY - 2048),
                arg("path_rename", rename, none, 1, MEMORY - 4),
                arg("path_rename", rename, none, 2, MEMORY - 2048),
                arg("path_rename", rename, none, 4, MEMORY - 4),
                arg("path_rename", rename, none, 5, MEMORY - 2048),
                arg("path_symlink", symlink, none, 0, MEMORY - 4),
                arg("path_symlink", symlink, none, 1, MEMORY - 2048),
                arg("path_symlink", symlink, none, 3, MEMORY - 4),
                arg("path_symlink", symlink, none, 4, MEMORY - 2048),
                arg("path_unlink_file", onePath, none, 1, MEMORY - 4),
                arg("path_unlink_file", onePath, none, 2, MEMORY - 2048),
                arg("poll_oneoff", poll, WRITE_SUBSCRIPTION, 0, MEMORY - 48),
                arg("poll_oneoff", poll, WRITE_SUBSCRIPTION, 1, MEMORY - 32),
                arg("poll_oneoff", poll, WRITE_SUBSCRIPTION, 2, (MEMORY - 4096) / 48),
                arg("poll_oneoff", poll, WRITE_SUBSCRIPTION, 3, MEMORY - 4),
                arg("random_get", new long[] {2048, 16}, none, 0, MEMORY - 16),
                arg("random_get", new long[] {2048, 16}, none, 1, MEMORY - 2048));
    }

    /** The five values of the gauntlet, for one target: 0, the edge, just past it, 0x7ffffff0, 0xffffffff. */
    static Stream<Arguments> attacks() {
        return targets().flatMap(t -> Stream.of(0L, t.edge(), t.edge() + 1, 0x7FFF_FFF0L, 0xFFFF_FFFFL)
                .map(v -> Arguments.of(t, v)));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("attacks")
    void everyPointerAndLengthGetsItsErrnoPromptly(Target target, long value) {
        long[] args = target.args().clone();
        var stores = new TreeMap<>(target.stores());
        if (target.store() >= 0) {
            stores.put(target.store(), (int) value);
        } else {
            args[target.arg()] = value;
        }
        byte[] module = WasiCallModules.calling(target.function(), WasiParams.of(target.function()), true, args, stores, 1,
                1);
        int errno = exitCode(target + " = " + value, module, "stdin bytes".getBytes(UTF_8));
        if (value > target.edge()) {
            assertTrue(errno == EFAULT || errno == EINVAL, target + " = " + value + " answered " + errno);
        } else {
            assertNotEquals(EFAULT, errno, target + " = " + value + " is inside memory");
        }
    }

    static Stream<Arguments> unsupportedSockets() {
        return Stream.of("sock_accept", "sock_recv", "sock_send")
                .flatMap(f -> Stream.of(0L, 0x7FFF_FFF0L, 0xFFFF_FFFFL).map(v -> Arguments.of(f, v)));
    }

    @ParameterizedTest(name = "{0}({1}, ...)")
    @MethodSource("unsupportedSockets")
    void socketCallsWithAnyPointersAreTheGuestsTrap(String function, long value) {
        long[] args = new long[WasiParams.of(function).size()];
        java.util.Arrays.fill(args, value);
        byte[] module = WasiCallModules.calling(function, WasiParams.of(function), true, args, Map.of(), 1, 1);
        FunctionSpec spec = deploy("attack", module, AMPLE_FUEL, TIMEOUT_MS);
        var e = timed(function + " = " + value, () -> assertThrows(InvocationFailed.class,
                () -> dispatch(spec, new byte[0])));
        assertEquals(Kind.TRAP, e.kind());
        assertTrue(e.getMessage().contains(function), e.getMessage());
    }

    /**
     * Chicory logs an unsupported call at its error level, once per call: a guest calling it in a loop would fill the
     * operator's log (the capture above sees every logger at SEVERE). Sluice turns Chicory's WASI log down to debug.
     */
    @Test
    void aCallChicoryLogsAsAnErrorIsNotLoggedAtTheServersLevel() {
        byte[] module = WasiCallModules.calling("fd_fdstat_set_rights", WasiParams.of("fd_fdstat_set_rights"), true,
                new long[] {1, 0, 0}, Map.of(), 1000, 1);
        assertEquals(58, exitCode("fd_fdstat_set_rights(stdout) x1000", module, new byte[0]), "ENOTSUP");
    }

    @ParameterizedTest(name = "proc_exit({0})")
    @MethodSource("fiveValues")
    void procExitWithAnyCodeEndsTheRunWithThatCode(long value) {
        byte[] module = WasiCallModules.calling("proc_exit", WasiParams.of("proc_exit"), false, new long[] {value},
                Map.of(), 1, 1);
        assertEquals((int) value, exitCode("proc_exit " + value, module, new byte[0]));
    }

    static Stream<Long> fiveValues() {
        return Stream.of(0L, 255L, 256L, 0x7FFF_FFF0L, 0xFFFF_FFFFL);
    }

    // The findings of issue 8, exactly as found.

    @Test
    void twentyFdReadCallsWithLength0x7ffffff0AnswerEfaultWithoutAllocating() {
        byte[] module = WasiCallModules.calling("fd_read", WasiParams.of("fd_read"), true, new long[] {0, 1024, 1, 512},
                Map.of(1024, 16, 1028, 0x7FFF_FFF0), 20, 1);
        assertEquals(EFAULT, exitCode("20 x fd_read 0x7ffffff0", module, "some input".getBytes(UTF_8)));
    }

    @Test
    void fdReadWithLength0xffffffffIsEfaultNotAnErrorInTheLog() {
        byte[] module = WasiCallModules.calling("fd_read", WasiParams.of("fd_read"), true, new long[] {0, 1024, 1, 512},
                Map.of(1024, 16, 1028, 0xFFFF_FFFF), 20, 1);
        assertEquals(EFAULT, exitCode("20 x fd_read 0xffffffff", module, "some input".getBytes(UTF_8)));
    }

    @Test
    void fdWriteWithAHugeIovecAnswersEfaultAtOnce() {
        byte[] module = WasiCallModules.calling("fd_write", WasiParams.of("fd_write"), true, new long[] {1, 1024, 1, 512},
                Map.of(1024, 16, 1028, 0x7FFF_FFF0), 20, 1);
        assertEquals(EFAULT, exitCode("20 x fd_write 0x7ffffff0", module, new byte[0]));
    }

    @Test
    void fdWriteOfAllMemoryStopsAtTheOutputCap() {
        // 4 pages, one iovec over all 256 KiB of them, to a stdout capped at 64 KiB.
        byte[] module = WasiCallModules.calling("fd_write", WasiParams.of("fd_write"), true, new long[] {1, 1024, 1, 512},
                Map.of(1024, 0, 1028, 4 * MEMORY), 1, 4);
        FunctionSpec spec = deploy("attack", module, AMPLE_FUEL, TIMEOUT_MS);
        var e = timed("fd_write of all memory", () -> assertThrows(InvocationFailed.class,
                () -> dispatch(spec, new byte[0])));
        assertEquals(Kind.OUTPUT_LIMIT, e.kind());
    }

    @Test
    void fdReadFillsOnlyWhatStdinHolds() {
        // One iovec over the whole page; stdin holds 11 bytes: the call succeeds and the run is billed 11 bytes.
        byte[] stdin = "hello world".getBytes(UTF_8);
        byte[] module = WasiCallModules.calling("fd_read", WasiParams.of("fd_read"), true, new long[] {0, 1024, 1, 512},
                Map.of(1024, 0, 1028, MEMORY), 1, 1);
        FunctionSpec spec = deploy("attack", module, AMPLE_FUEL, TIMEOUT_MS);
        var result = timed("fd_read of the whole page", () -> dispatch(spec, stdin));
        assertEquals(0, result.exitCode());
        var empty = timed("fd_read of nothing", () -> dispatch(spec, new byte[0]));
        assertEquals(stdin.length * FuelCosts.HOST_PER_BYTE, result.fuelUsed() - empty.fuelUsed());
    }

    @Test
    void aStdinReadCannotRewriteItsOwnLaterIovecsIntoAHugeOne() {
        // iovec 0 reads 8 bytes over iovec 1, and stdin holds exactly the bytes of the iovec (16, 0x7ffffff0).
        // The iovecs are read once, before any data moves: the read succeeds with those 8 bytes, on fd 0 and on
        // stdin renumbered to fd 2 alike (before, Chicory's fd_read re-read iovec 1 and allocated 2 GiB).
        byte[] stdin = {16, 0, 0, 0, (byte) 0xf0, (byte) 0xff, (byte) 0xff, 0x7f};
        var stores = Map.of(1024, 1032, 1028, 8, 1032, 2048, 1036, 16);
        byte[] direct = WasiCallModules.calling("fd_read", WasiParams.of("fd_read"), true, new long[] {0, 1024, 2, 512},
                stores, 1, 1);
        assertEquals(0, exitCode("fd_read rewriting its iovecs", direct, stdin));
        byte[] renumbered = WasiCallModules.calling("fd_renumber", WasiParams.of("fd_renumber"), new long[] {0, 2},
                "fd_read", WasiParams.of("fd_read"), true, new long[] {2, 1024, 2, 512}, stores, 1, 1);
        assertEquals(0, exitCode("renumbered fd_read rewriting its iovecs", renumbered, stdin));
    }

    @Test
    void aRenumberedStdinStillGetsEfaultForAHugeIovec() {
        byte[] module = WasiCallModules.calling("fd_renumber", WasiParams.of("fd_renumber"), new long[] {0, 2}, "fd_read",
                WasiParams.of("fd_read"), true, new long[] {2, 1024, 1, 512}, Map.of(1024, 16, 1028, 0x7FFF_FFF0), 20, 1);
        assertEquals(EFAULT, exitCode("20 x renumbered fd_read 0x7ffffff0", module, "some input".getBytes(UTF_8)));
    }

    @Test
    void movedAndClosedStandardDescriptorsAreFollowed() {
        long[] writeFd2 = {2, 1024, 1, 512};
        byte[] stdinAtFd2 = WasiCallModules.calling("fd_renumber", WasiParams.of("fd_renumber"), new long[] {0, 2},
                "fd_write", WasiParams.of("fd_write"), true, writeFd2, IOVEC, 1, 1);
        assertEquals(EBADF, exitCode("fd_write to stdin renumbered to 2", stdinAtFd2, new byte[0]));
        byte[] stdoutClosed = WasiCallModules.calling("fd_close", WasiParams.of("fd_close"), new long[] {1}, "fd_write",
                WasiParams.of("fd_write"), true, new long[] {1, 1024, 1, 512}, IOVEC, 1, 1);
        assertEquals(EBADF, exitCode("fd_write to a closed stdout", stdoutClosed, new byte[0]));
        byte[] stdoutAtFd0 = WasiCallModules.calling("fd_renumber", WasiParams.of("fd_renumber"), new long[] {1, 0},
                "fd_write", WasiParams.of("fd_write"), true, new long[] {0, 1024, 1, 512}, IOVEC, 1, 1);
        assertEquals(0, exitCode("fd_write to stdout renumbered to 0", stdoutAtFd0, new byte[0]));
    }

    @Test
    void pathsLongerThanPathMaxAreEnametoolongAndShorterOnesReachChicory() {
        long[] open = {3, 0, 2048, 4097, 0, 0, 0, 0, 512};
        byte[] tooLong = WasiCallModules.calling("path_open", WasiParams.of("path_open"), true, open, Map.of(), 1, 1);
        assertEquals(ENAMETOOLONG, exitCode("path_open of 4097 bytes", tooLong, new byte[0]));
        open[3] = 4096;
        byte[] longest = WasiCallModules.calling("path_open", WasiParams.of("path_open"), true, open, Map.of(), 1, 1);
        assertEquals(EBADF, exitCode("path_open of 4096 bytes", longest, new byte[0])); // no directory granted
    }

    // poll_oneoff: sleeping costs fuel, and stays interruptible.

    @Test
    void aSleepCostsFuelPerMillisecondTheSameOnEveryRun() {
        var first = invoke(TestModules.load("sleep"), new byte[0], AMPLE_FUEL, TIMEOUT_MS);
        var second = invoke(TestModules.load("sleep"), new byte[0], AMPLE_FUEL, TIMEOUT_MS);
        assertEquals("slept\n", new String(first.stdout(), UTF_8));
        long sleep = 200 * FuelCosts.SLEEP_PER_MS;
        assertTrue(first.fuelUsed() >= sleep && first.fuelUsed() < sleep + 10_000, "fuel: " + first.fuelUsed());
        assertEquals(first.fuelUsed(), second.fuelUsed());
    }

    @Test
    void anHourLongSleepWithoutTheFuelForItRunsOutOfFuelInsteadOfHoldingTheWorker() {
        long budget = 5 * FuelCosts.SLEEP_PER_MS; // pays for about 5 ms of sleep
        FunctionSpec spec = deploy("attack", TestModules.load("sleep-forever"), budget, TIMEOUT_MS);
        var e = timed("sleep-forever on 5 ms of fuel", () -> assertThrows(InvocationFailed.class,
                () -> dispatch(spec, new byte[0])));
        assertEquals(Kind.FUEL_EXHAUSTED, e.kind());
        assertEquals(budget, e.fuelUsed());
    }

    @Test
    void aSleepTheFuelPaysOnlyPartlyForIsStillStoppedAtItsTimeout() {
        long started = System.nanoTime();
        var e = assertThrows(InvocationFailed.class, () -> invoke(TestModules.load("sleep-forever"), new byte[0],
                1_000_000_000, 200)); // pays for 10 s of the hour; the timeout comes first
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertEquals(Kind.TIMEOUT, e.kind());
        assertTrue(ms < 3_000, "stopped after " + ms + " ms");
        assertTrue(e.fuelUsed() >= 100 * FuelCosts.SLEEP_PER_MS, "charged for the time held: " + e.fuelUsed());
    }

    @Test
    void pollTakesAtMost4096SubscriptionsWhateverTheMemory() {
        // 8 pages hold 8 000+ subscriptions; zeroed ones are realtime-clock timeouts of 0, ready at once.
        long[] poll = {0, 4096 * 48, 4096, 8 * MEMORY - 4};
        byte[] most = WasiCallModules.calling("poll_oneoff", WasiParams.of("poll_oneoff"), true, poll, Map.of(), 1, 8);
        assertEquals(0, exitCode("poll_oneoff of 4096", most, new byte[0]));
        poll[1] = 4097 * 48;
        poll[2] = 4097;
        byte[] tooMany = WasiCallModules.calling("poll_oneoff", WasiParams.of("poll_oneoff"), true, poll, Map.of(), 1, 8);
        assertEquals(EINVAL, exitCode("poll_oneoff of 4097", tooMany, new byte[0]));
    }

    @Test
    void pollWaitingOnlyForAnExhaustedStdinRunsOutOfFuelAtOnce() {
        // One fd_read subscription on stdin, which is empty: Chicory would poll it until the timeout.
        byte[] module = WasiCallModules.calling("poll_oneoff", WasiParams.of("poll_oneoff"), true,
                new long[] {4096, 8192, 1, 512}, Map.of(4104, 1, 4112, 0), 1, 1);
        FunctionSpec spec = deploy("attack", module, AMPLE_FUEL, TIMEOUT_MS);
        var e = timed("poll on empty stdin", () -> assertThrows(InvocationFailed.class,
                () -> dispatch(spec, new byte[0])));
        assertEquals(Kind.FUEL_EXHAUSTED, e.kind());
    }

    @Test
    void pollOnStdinWithBytesLeftAnswersAtOnceForNoSleepFuel() {
        byte[] module = WasiCallModules.calling("poll_oneoff", WasiParams.of("poll_oneoff"), true,
                new long[] {4096, 8192, 1, 512}, Map.of(4104, 1, 4112, 0), 1, 1);
        FunctionSpec spec = deploy("attack", module, AMPLE_FUEL, TIMEOUT_MS);
        var result = timed("poll on stdin", () -> dispatch(spec, "x".getBytes(UTF_8)));
        assertEquals(0, result.exitCode());
        assertTrue(result.fuelUsed() < FuelCosts.SLEEP_PER_MS, "fuel: " + result.fuelUsed());
    }

    // Helpers.


    private static FunctionSpec deploy(String name, byte[] module, long fuel, long timeoutMs) {
        return scheduler.functions().deploy(new DeployRequest("attacker", FunctionName.of(name), module, 16,
                timeoutMs, 1 << 20, fuel)).spec();
    }

    /** Deploys the module, then runs it (only the run is timed by {@link #timed}, when called in it). */
    private static InvocationResult invoke(byte[] module, byte[] stdin, long fuel, long timeoutMs) {
        FunctionSpec spec = deploy("attack", module, fuel, timeoutMs);
        return dispatch(spec, stdin);
    }

    private static InvocationResult dispatch(FunctionSpec spec, byte[] stdin) {
        return scheduler.dispatcher().invoke(spec, new InvocationRequest(stdin, ARGS, ENV));
    }

    /** Runs the module and returns its exit code, holding the run to the time and heap bounds. */
    private static int exitCode(String call, byte[] module, byte[] stdin) {
        FunctionSpec spec = deploy("attack", module, AMPLE_FUEL, TIMEOUT_MS);
        try {
            return timed(call, () -> dispatch(spec, stdin)).exitCode();
        } catch (InvocationFailed e) {
            return fail(call + " failed instead of answering an errno: " + e.kind() + " " + e.getMessage());
        }
    }

    /** Runs {@code attack} within {@link #BOUND_MS} and without the heap peaking GiBs higher. */
    private static <T> T timed(String call, java.util.function.Supplier<T> attack) {
        BoundedAttack<T> measured = BoundedAttack.run(attack);
        synchronized (WasiGauntletTest.class) {
            if (measured.millis() > worstMs) {
                worstMs = measured.millis();
                worstCall = call;
            }
        }
        return measured.within(call, BOUND_MS, HEAP_SLACK_MIB);
    }
}
