package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.scheduler.testing.WasmBinary;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded mutation fuzzer over the valid fixture modules, through the real scheduler (one worker, a 4-page memory
 * cap, 200 ms timeouts, a million fuel). Every mutant must end as a {@link ModuleRejected} at deploy, a normal run,
 * or an {@link InvocationFailed}: never another exception, a hang or a host out-of-memory. The seed is fixed so a
 * failure reproduces; the outcome histogram is printed.
 *
 * <p>CI runs {@value #DEFAULT_MUTANTS} mutants (~2 s). For a long run, not in CI (docs/sandbox.md):
 * {@code ./mvnw -B -ntp -pl scheduler -am verify -Dtest=MutationFuzzTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dsluice.fuzz.mutants=100000}; the time limit grows with the count (30 ms a mutant, at least a minute).
 */
class MutationFuzzTest {
    static final long SEED = 0x5EED_2026L;
    static final int DEFAULT_MUTANTS = 2_000;
    static final int MUTANTS = Integer.getInteger("sluice.fuzz.mutants", DEFAULT_MUTANTS);
    /** A mutant whose deploy and run take longer than this counts as a hang (the run timeout is 200 ms). */
    static final long HANG_MS = 5_000;
    static final List<String> SEEDS = List.of("hello", "echo", "plain", "status", "exit-code", "trap", "div-zero",
            "fuel-calls", "fuel-control", "fuel-bulk", "fuel-loop", "fuel-write-loop", "table-grow-bomb",
            "trap-indirect-type", "mutual-recursion", "proc-exit");

    @TempDir
    Path dataDir;

    @Test
    void everyMutantOfAValidModuleIsRejectedRunsOrFailsCleanly() {
        assertTimeoutPreemptively(Duration.ofMillis(Math.max(60_000, 30L * MUTANTS)), this::fuzz);
    }

    private void fuzz() {
        var settings = new SchedulerSettings(1, 1, 8, 16 << 10, 4 << 10, 2L << 20);
        var outcomes = new TreeMap<String, Integer>();
        var escaped = new ArrayList<String>();
        var hangs = new ArrayList<String>();
        long slowestMs = 0;
        List<byte[]> originals = SEEDS.stream().map(TestModules::load).toList();
        var random = new SplittableRandom(SEED);
        long started = System.nanoTime();
        try (var scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH))) {
            for (int i = 0; i < MUTANTS; i++) {
                byte[] original = originals.get(random.nextInt(originals.size()));
                byte[] mutant = mutate(original, random);
                long mutantStarted = System.nanoTime();
                String outcome;
                try {
                    FunctionSpec spec = scheduler.functions().deploy(new DeployRequest("fuzz", FunctionName.of("f"),
                            mutant, 4, 200, 1 << 20, 1_000_000)).spec();
                    var result = scheduler.dispatcher().invoke(spec,
                            new InvocationRequest(new byte[] {1, 2, 3}, List.of("f"), Map.of("QUERY_STRING", "a=b")));
                    outcome = result.exitCode() == 0 ? "ran: exit 0" : "ran: exit non-zero";
                } catch (ModuleRejected e) {
                    outcome = "rejected: " + e.reason();
                } catch (InvocationFailed e) {
                    outcome = "failed: " + e.kind();
                } catch (Throwable t) {
                    outcome = "ESCAPED: " + t.getClass().getSimpleName();
                    escaped.add("mutant " + i + ": " + t);
                }
                outcomes.merge(outcome, 1, Integer::sum);
                long mutantMs = (System.nanoTime() - mutantStarted) / 1_000_000;
                slowestMs = Math.max(slowestMs, mutantMs);
                if (mutantMs > HANG_MS) {
                    hangs.add("mutant " + i + ": " + mutantMs + " ms, " + outcome);
                }
            }
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("mutation fuzz: %d mutants, seed %#x, %d ms%n", MUTANTS, SEED, ms);
        outcomes.forEach((outcome, n) -> System.out.printf("  %-28s %6d%n", outcome, n));
        System.out.printf("  uncaught %d, hangs (over %d ms) %d, slowest mutant %d ms%n", escaped.size(), HANG_MS,
                hangs.size(), slowestMs);

        assertTrue(escaped.isEmpty(), "exceptions escaped the scheduler: " + escaped);
        assertTrue(hangs.isEmpty(), "mutants that hung: " + hangs);
        assertEquals(MUTANTS, outcomes.values().stream().mapToInt(Integer::intValue).sum());
        assertTrue(outcomes.keySet().stream().anyMatch(o -> o.startsWith("ran")), "no mutant ran: " + outcomes);
        assertTrue(outcomes.keySet().stream().anyMatch(o -> o.startsWith("rejected")), "none rejected: " + outcomes);
    }

    /** One to three mutations: bit flips, byte inserts and deletes, LEB tweaks, section swaps, truncation. */
    static byte[] mutate(byte[] original, SplittableRandom random) {
        byte[] b = original.clone();
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations && b.length > 9; m++) {
            int at = 8 + random.nextInt(b.length - 8); // keep the header mostly intact so mutants reach deeper
            b = switch (random.nextInt(7)) {
                case 0 -> flipBit(b, at, random);
                case 1 -> insert(b, at, new byte[] {(byte) random.nextInt(256)});
                case 2 -> delete(b, at, 1 + random.nextInt(Math.min(4, b.length - at)));
                case 3 -> lebTweak(b, at, random);
                case 4 -> swapSections(b, random);
                case 5 -> java.util.Arrays.copyOf(b, at);
                default -> { // a random byte set to an interesting value
                    byte[] c = b.clone();
                    int[] interesting = {0x00, 0x7f, 0x80, 0xff, 0x0b, 0x40, 0x60, 0x70};
                    c[at] = (byte) interesting[random.nextInt(interesting.length)];
                    yield c;
                }
            };
        }
        return b;
    }

    private static byte[] flipBit(byte[] b, int at, SplittableRandom random) {
        byte[] c = b.clone();
        c[at] ^= (byte) (1 << random.nextInt(8));
        return c;
    }

    private static byte[] insert(byte[] b, int at, byte[] bytes) {
        var out = new ByteArrayOutputStream(b.length + bytes.length);
        out.write(b, 0, at);
        out.writeBytes(bytes);
        out.write(b, at, b.length - at);
        return out.toByteArray();
    }

    private static byte[] delete(byte[] b, int at, int n) {
        var out = new ByteArrayOutputStream(b.length);
        out.write(b, 0, at);
        out.write(b, at + n, b.length - at - n);
        return out.toByteArray();
    }

    /** Replaces the byte at {@code at} with a large LEB128 (a count or size now claiming far more than is there). */
    private static byte[] lebTweak(byte[] b, int at, SplittableRandom random) {
        long[] claims = {0x7f, 0x80, 0x3fff, 1L << 20, 0x7fff_ffffL, 0xffff_ffffL};
        byte[] leb = WasmBinary.leb(claims[random.nextInt(claims.length)]);
        byte[] c = delete(b, at, 1);
        return insert(c, at, leb);
    }

    /** Swaps two whole sections (the format requires their order, so this usually breaks it in a structured way). */
    private static byte[] swapSections(byte[] b, SplittableRandom random) {
        List<int[]> sections = new ArrayList<>(); // {start, end}
        int pos = 8;
        while (pos < b.length) {
            int start = pos++;
            long size = 0;
            int shift = 0;
            int x;
            do {
                if (pos >= b.length || shift > 28) {
                    return b;
                }
                x = b[pos++] & 0xff;
                size |= (long) (x & 0x7f) << shift;
                shift += 7;
            } while ((x & 0x80) != 0);
            if (size > b.length - pos) {
                return b;
            }
            pos += (int) size;
            sections.add(new int[] {start, pos});
        }
        if (sections.size() < 2) {
            return b;
        }
        int i = random.nextInt(sections.size());
        int j = random.nextInt(sections.size());
        if (i == j) {
            return b;
        }
        int[] first = sections.get(Math.min(i, j));
        int[] second = sections.get(Math.max(i, j));
        var out = new ByteArrayOutputStream(b.length);
        out.write(b, 0, first[0]);
        out.write(b, second[0], second[1] - second[0]);
        out.write(b, first[1], second[0] - first[1]);
        out.write(b, first[0], first[1] - first[0]);
        out.write(b, second[1], b.length - second[1]);
        return out.toByteArray();
    }
}
