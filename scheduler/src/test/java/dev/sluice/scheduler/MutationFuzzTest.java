package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.scheduler.testing.WasmBinary;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded mutation fuzzer over the valid fixture modules, through the real scheduler (one worker, a 4-page memory
 * cap, 200 ms timeouts, a million fuel). Every mutant must end as a {@link ModuleRejected} at deploy, a normal run,
 * or an {@link InvocationFailed}: never another exception, a hang or a host out-of-memory. The seed is fixed so a
 * failure reproduces; the outcome histogram is printed.
 */
class MutationFuzzTest {
    static final long SEED = 0x5EED_2026L;
    static final int MUTANTS = 2_000;
    static final List<String> SEEDS = List.of("hello", "echo", "plain", "status", "exit-code", "trap", "div-zero",
            "fuel-calls", "fuel-control", "fuel-bulk", "fuel-loop", "fuel-write-loop", "table-grow-bomb",
            "trap-indirect-type", "mutual-recursion", "proc-exit");

    @TempDir
    Path dataDir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void everyMutantOfAValidModuleIsRejectedRunsOrFailsCleanly() {
        var settings = new SchedulerSettings(1, 1, 8, 16 << 10, 4 << 10, 2L << 20);
        var outcomes = new TreeMap<String, Integer>();
        var escaped = new ArrayList<String>();
        List<byte[]> originals = SEEDS.stream().map(TestModules::load).toList();
        var random = new SplittableRandom(SEED);
        long started = System.nanoTime();
        try (var scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH))) {
            for (int i = 0; i < MUTANTS; i++) {
                byte[] original = originals.get(random.nextInt(originals.size()));
                byte[] mutant = mutate(original, random);
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
            }
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("mutation fuzz: %d mutants, seed %#x, %d ms%n", MUTANTS, SEED, ms);
        outcomes.forEach((outcome, n) -> System.out.printf("  %-28s %5d%n", outcome, n));

        assertTrue(escaped.isEmpty(), "exceptions escaped the scheduler: " + escaped);
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
