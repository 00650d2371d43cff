package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.InvocationFailed.Kind;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.SchedulerException.ModuleRejected.Reason;
import dev.sluice.scheduler.testing.HostileModules;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The hostile-module gauntlet at the scheduler: every module attacks the host and the host wins. Each attack ends
 * as a {@link ModuleRejected} at deploy, a normal result, or an {@link InvocationFailed} of the expected kind, and
 * after each one the single worker (the very thread that ran the attacker) answers {@code plain} promptly. Deploy-time
 * attacks must be refused by a cap before anything is allocated for them, so they are also held to a short time.
 */
class GauntletTest {
    private static final long AMPLE_FUEL = 1L << 50;
    private static final long SMALL_FUEL = 1_000_000;
    private static final int MEMORY_PAGES = 16;

    @TempDir
    static Path dataDir;

    private static LocalScheduler scheduler;

    @BeforeAll
    static void open() {
        var settings = new SchedulerSettings(1, 1, 8, 64 << 10, 4 << 10, 2L << 20);
        scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH));
    }

    @AfterAll
    static void close() {
        scheduler.close();
    }

    @AfterEach
    void theWorkerStillServesPromptly() {
        long started = System.nanoTime();
        var result = scheduler.dispatcher().invoke(deploy("plain", TestModules.load("plain"), 5_000, AMPLE_FUEL),
                new InvocationRequest(new byte[0], List.of(), Map.of()));
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertEquals("just text\n", new String(result.stdout(), UTF_8));
        assertTrue(ms < 2_000, "plain took " + ms + " ms after the attack");
    }

    private static FunctionSpec deploy(String name, byte[] module, long timeoutMs, long fuel) {
        return scheduler.functions().deploy(new DeployRequest("attacker", FunctionName.of(name), module,
                MEMORY_PAGES, timeoutMs, 64L << 20, fuel)).spec();
    }

    private static InvocationResult run(String fixture, byte[] stdin) {
        return scheduler.dispatcher().invoke(deploy(fixture, TestModules.load(fixture), 5_000, AMPLE_FUEL),
                new InvocationRequest(stdin, List.of(fixture), Map.of()));
    }

    private static InvocationFailed failure(String fixture, long timeoutMs, long fuel) {
        FunctionSpec spec = deploy(fixture, TestModules.load(fixture), timeoutMs, fuel);
        return assertThrows(InvocationFailed.class, () -> scheduler.dispatcher().invoke(spec,
                new InvocationRequest(new byte[0], List.of(fixture), Map.of())));
    }

    /** Deploying {@code module} fails with {@code reason} within a second (a cap, not an allocation, stopped it). */
    private static ModuleRejected rejected(Reason reason, Supplier<byte[]> module) {
        byte[] bytes = module.get();
        long started = System.nanoTime();
        var e = assertThrows(ModuleRejected.class, () -> deploy("attack", bytes, 5_000, AMPLE_FUEL));
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(ms < 1_000, "rejecting took " + ms + " ms");
        return e;
    }

    // Loops: in _start, in the start function, inside host calls.

    @Test
    void infiniteLoopInStartRunsOutOfFuel() {
        assertEquals(Kind.FUEL_EXHAUSTED, failure("infinite-loop", 5_000, SMALL_FUEL).kind());
    }

    @Test
    void infiniteLoopInTheWasmStartFunctionRunsOutOfFuel() {
        assertEquals(Kind.FUEL_EXHAUSTED, failure("fuel-start-loop", 5_000, SMALL_FUEL).kind());
    }

    @Test
    void infiniteLoopInTheWasmStartFunctionWithAmpleFuelIsStoppedAtItsTimeout() {
        assertEquals(Kind.TIMEOUT, failure("fuel-start-loop", 200, AMPLE_FUEL).kind());
    }

    @Test
    void anHourLongSleepInPollOneoffIsStoppedAtItsTimeout() {
        long started = System.nanoTime();
        var e = failure("sleep-forever", 200, AMPLE_FUEL);
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertEquals(Kind.TIMEOUT, e.kind());
        assertTrue(ms < 3_000, "stopped after " + ms + " ms");
    }

    @Test
    void anEndlessFdReadLoopRunsOutOfFuelFromTheHostCharges() {
        assertEquals(Kind.FUEL_EXHAUSTED, failure("stdin-spin", 5_000, SMALL_FUEL).kind());
    }

    @Test
    void anEndlessFdReadLoopWithAmpleFuelIsStoppedAtItsTimeout() {
        assertEquals(Kind.TIMEOUT, failure("stdin-spin", 200, AMPLE_FUEL).kind());
    }

    // Memory and tables.

    @Test
    void memoryGrowBombHitsTheMemoryLimit() {
        assertEquals(Kind.MEMORY_LIMIT, failure("memory-bomb", 5_000, AMPLE_FUEL).kind());
    }

    @Test
    void hugeInitialMemoryIsRejectedAtDeploy() {
        rejected(Reason.TOO_MUCH_MEMORY, () -> TestModules.load("huge-memory"));
    }

    @Test
    void tableOfFiveMillionElementsIsRejectedAtDeployBeforeAnyIsAllocated() {
        var e = rejected(Reason.TOO_MUCH_MEMORY, () -> TestModules.load("huge-table"));
        assertTrue(e.getMessage().contains("limit: 100000 elements"), e.getMessage());
    }

    @Test
    void tableGrowStopsAtTheCapAndTheNextInstanceStartsFromTheDeclaredSizeAgain() {
        // Exit code = table size in thousands when table.grow first failed: 1 + 9 x 10 000 = 90 001 elements, as
        // a tenth grow would pass the cap of 100 000. Before the cap, growth went on to Chicory's 10^7 and, through
        // the module's shared table limits, the next run started at that size.
        assertEquals(90, run("table-grow-bomb", new byte[0]).exitCode());
        assertEquals(90, run("table-grow-bomb", new byte[0]).exitCode());
    }

    // Recursion.

    @Test
    void deepRecursionExhaustsTheStack() {
        assertEquals(Kind.STACK_EXHAUSTED, failure("deep-recursion", 5_000, AMPLE_FUEL).kind());
    }

    @Test
    void mutualRecursionExhaustsTheStack() {
        assertEquals(Kind.STACK_EXHAUSTED, failure("mutual-recursion", 5_000, AMPLE_FUEL).kind());
    }

    @Test
    void recursionWithTheMostLocalsAllowedExhaustsTheStackBudgetWithoutGrowingTheHeap() {
        // 50 000 i64 locals per frame: before the stack budget, ~3 000 interpreted frames of 800 KB each (2.4 GB).
        FunctionSpec spec = deploy("locals", HostileModules.recursionWithLocals(ModuleScan.Limits.DEFAULT.maxLocals()),
                5_000, AMPLE_FUEL);
        assertStackExhaustedWithinHeap(spec, 256L << 20);
    }

    @Test
    void recursionHoldingTwentyThousandOperandsExhaustsTheStackWithoutCrashingTheJvm() {
        // Compiled, each frame would be a 160 KB JVM frame, which stepped past the stack's guard pages: the JVM
        // died of SIGSEGV. Frames that large now run interpreted, their operands bounded by the stack budget.
        FunctionSpec spec = deploy("operands", HostileModules.recursionCountingDepth(0, 20_000), 5_000, AMPLE_FUEL);
        assertStackExhaustedWithinHeap(spec, 256L << 20);
    }

    @Test
    void recursionWithLiveLocalsJustUnderTheCompiledFrameLimitExhaustsTheStack() {
        FunctionSpec spec = deploy("live-locals", HostileModules.recursionCountingDepth(1_900, 100), 5_000,
                AMPLE_FUEL);
        assertStackExhaustedWithinHeap(spec, 256L << 20);
    }

    /** Invokes {@code spec}, which must end as STACK_EXHAUSTED, with the heap's peak growing less than the bound. */
    private static void assertStackExhaustedWithinHeap(FunctionSpec spec, long bound) {
        var pools = java.lang.management.ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == java.lang.management.MemoryType.HEAP).toList();
        System.gc();
        long before = pools.stream().mapToLong(pool -> pool.getUsage().getUsed()).sum();
        pools.forEach(java.lang.management.MemoryPoolMXBean::resetPeakUsage);
        var e = assertThrows(InvocationFailed.class, () -> scheduler.dispatcher().invoke(spec,
                new InvocationRequest(new byte[0], List.of(), Map.of())));
        long peak = pools.stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
        assertEquals(Kind.STACK_EXHAUSTED, e.kind(), e.getMessage());
        assertTrue(peak - before < bound, "heap peaked " + ((peak - before) >> 20) + " MiB above its start");
    }

    // Output floods.

    @Test
    void stdoutFloodHitsTheOutputLimit() {
        assertEquals(Kind.OUTPUT_LIMIT, failure("huge-output", 5_000, AMPLE_FUEL).kind());
    }

    @Test
    void stderrFloodHitsTheOutputLimit() {
        assertEquals(Kind.OUTPUT_LIMIT, failure("stderr-flood", 5_000, AMPLE_FUEL).kind());
    }

    // Declared sizes that would cost the host gigabytes if believed.

    @Test
    void fourBillionLocalsAreRejectedWithoutAllocatingThem() {
        rejected(Reason.TOO_COMPLEX, HostileModules::fourBillionLocals);
    }

    @Test
    void aHundredMillionLocalsSpreadOverDeclarationsAreRejectedWithoutAllocatingThem() {
        var e = rejected(Reason.TOO_COMPLEX, HostileModules::hundredMillionLocals);
        assertTrue(e.getMessage().contains("more than 50000 locals"), e.getMessage());
    }

    @Test
    void anElseInsideABlockIsMalformedEvenWithJavaAssertionsOn() {
        // Surefire runs tests with -ea, where this threw AssertionError out of the deploy; without -ea it was
        // already rejected as malformed.
        rejected(Reason.MALFORMED, HostileModules::elseInsideABlock);
    }

    @Test
    void moreLocalsInAllThanTheModuleCapAreRejected() {
        var e = rejected(Reason.TOO_COMPLEX, () -> HostileModules.functionsWithLocals(21, 50_000));
        assertTrue(e.getMessage().contains("more than 1000000 locals in all"), e.getMessage());
    }

    @Test
    void oneLocalOverTheCapIsRejected() {
        rejected(Reason.TOO_COMPLEX, () -> HostileModules.recursionWithLocals(
                ModuleScan.Limits.DEFAULT.maxLocals() + 1));
    }

    @Test
    void aTypeClaimingTwoBillionParametersIsRejectedWithoutAllocatingThem() {
        rejected(Reason.MALFORMED, HostileModules::typeClaimingTwoBillionParameters);
    }

    @Test
    void aRecursionGroupClaimingTwoBillionTypesIsRejectedWithoutAllocatingThem() {
        rejected(Reason.MALFORMED, HostileModules::recursionGroupClaimingTwoBillionTypes);
    }

    @Test
    void aDataSegmentClaimingTwoGigabytesIsRejectedWithoutAllocatingThem() {
        rejected(Reason.MALFORMED, HostileModules::dataSegmentClaimingTwoGigabytes);
    }

    @Test
    void anElementSegmentClaimingTwoBillionEntriesIsRejectedWithoutAllocatingThem() {
        rejected(Reason.MALFORMED, HostileModules::elementSegmentClaimingTwoBillionEntries);
    }

    @Test
    void moreFunctionsThanTheCapAreRejected() {
        rejected(Reason.TOO_COMPLEX, () -> HostileModules.functions(ModuleScan.Limits.DEFAULT.maxFunctions() + 1));
    }

    @Test
    void moreDataSegmentsThanTheCapAreRejected() {
        rejected(Reason.TOO_COMPLEX, () -> HostileModules.dataSegments(
                ModuleScan.Limits.DEFAULT.maxDataSegments() + 1));
    }

    @Test
    void manyDataSegmentsWithinTheCapRunNormally() {
        var result = scheduler.dispatcher().invoke(deploy("segments", HostileModules.dataSegments(10_000), 5_000,
                AMPLE_FUEL), new InvocationRequest(new byte[0], List.of(), Map.of()));
        assertEquals(0, result.exitCode());
    }

    @Test
    void aDataSegmentPastTheEndOfMemoryTrapsAtInstantiation() {
        assertEquals(Kind.TRAP, failure("data-past-memory", 5_000, AMPLE_FUEL).kind());
    }

    // Traps of every kind.

    @ParameterizedTest(name = "{0} traps: {1}")
    @CsvSource({
            "trap, unreachable",
            "div-zero, divide by zero",
            "trap-overflow, overflow",
            "trap-conversion, invalid conversion",
            "out-of-bounds, out of bounds",
            "trap-null-indirect, element",
            "trap-table-bounds, element",
            "trap-indirect-type, indirect call type mismatch",
    })
    void everyKindOfTrapIsATrapNamingItsCause(String fixture, String cause) {
        var e = failure(fixture, 5_000, AMPLE_FUEL);
        assertEquals(Kind.TRAP, e.kind(), e.getMessage());
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains(cause), e.getMessage());
    }

    // proc_exit with odd codes.

    @ParameterizedTest(name = "proc_exit({0}) gives exit code {1}")
    @CsvSource({"0, 0", "1, 1", "255, 255", "256, 256", "4294967295, -1", "2147483648, -2147483648"})
    void procExitWithAnyU32CodeIsANormalResultWithThatCode(long code, int expected) {
        byte[] stdin = {(byte) code, (byte) (code >>> 8), (byte) (code >>> 16), (byte) (code >>> 24)};
        assertEquals(expected, run("proc-exit", stdin).exitCode());
    }

    // Imports and broken binaries.

    @Test
    void startExportedAsAFunctionThatDoesNotExistIsRejectedAsMalformed() {
        rejected(Reason.MALFORMED, HostileModules::startExportedAsAMissingFunction);
    }

    @Test
    void aNonWasiImportIsRejected() {
        rejected(Reason.FORBIDDEN_IMPORT, () -> TestModules.load("bad-import"));
    }

    @Test
    void aWasiImportTheRuntimeDoesNotImplementIsRejected() {
        rejected(Reason.FORBIDDEN_IMPORT, () -> TestModules.load("unknown-wasi"));
    }

    @Test
    void everyTruncationOfAValidModuleIsRejectedAsMalformedUnlessItEndsBetweenSections() {
        byte[] hello = TestModules.load("hello");
        java.util.Set<Integer> boundaries = sectionEnds(hello);
        for (int length = 0; length < hello.length; length++) {
            int n = length;
            if (boundaries.contains(n)) {
                // A prefix ending between sections is a smaller module; hello's is valid once the data is cut off.
                continue;
            }
            var e = assertThrows(ModuleRejected.class, () -> deploy("cut", HostileModules.truncated(hello, n),
                    5_000, AMPLE_FUEL), "prefix of " + n + " bytes");
            assertEquals(Reason.MALFORMED, e.reason(), n + " bytes: " + e.getMessage());
        }
    }

    /** Offsets at which a section of {@code module} ends (single-byte ids, LEB128 sizes). */
    private static java.util.Set<Integer> sectionEnds(byte[] module) {
        var ends = new java.util.HashSet<Integer>();
        int pos = 8;
        while (pos < module.length) {
            pos++;
            long size = 0;
            int shift = 0;
            int b;
            do {
                b = module[pos++] & 0xff;
                size |= (long) (b & 0x7f) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            pos += (int) size;
            ends.add(pos);
        }
        return ends;
    }
}
