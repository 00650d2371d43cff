package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.InvocationFailed.Kind;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The interpreter and compiled code must agree on everything a tenant sees: how a run ends (exit code or failure
 * kind), the fuel it used, and what it wrote. Compiled code keeps the fuel counter in a JVM local (Sluice's fork of
 * Chicory's compiler, chicory-compiler/), flushed at calls, returns and by an exception handler, so this is where a
 * missed flush would show: every fixture below runs through the real {@link Sandbox} on both tiers, with plenty of
 * fuel and with budgets that run out at many points of the run (a third, a half, all but one unit...).
 *
 * <p>{@code fuel-traps.wat} puts every kind of trap (out of bounds, division by zero, unreachable, a null
 * {@code call_indirect}, fuel exhaustion, the stack budget, the JVM stack) inside a loop and 300 calls deep
 * (direct and through {@code call_indirect}), with output at every level. Runs happen on a thread with a 16 MiB
 * stack, so that recursion of large frames always ends at the deterministic stack budget; recursion of small
 * frames ends where the JVM stack does, which differs between the tiers (an interpreted call takes more stack), so
 * there only the outcome is compared, not the fuel or output.
 */
class TierDifferentialTest {
    private static final long PLENTY = 1_000_000_000L;
    private static final long RUN_STACK_BYTES = 16L << 20;
    private static final SchedulerSettings SETTINGS =
            new SchedulerSettings(1, 1, 8, 1 << 20, 1 << 20, RUN_STACK_BYTES);

    /** What a tenant sees of a run. */
    private record Outcome(String kind, long fuel, String stdout, String stderr) {
        static Outcome of(InvocationResult result) {
            return new Outcome("exit " + result.exitCode(), result.fuelUsed(), text(result.stdout()),
                    text(result.stderr()));
        }

        static Outcome of(InvocationFailed failure) {
            return new Outcome(failure.kind().name(), failure.fuelUsed(), "", text(failure.stderr()));
        }

        private static String text(byte[] bytes) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    private static CompiledModule load(byte[] bytes, boolean compiled) {
        var checked = new ModuleValidator(WasiImports.create()).check(bytes);
        var module = new CompiledModule(Digests.sha256(bytes), checked.module(), checked.initialPages(), checked.maximumPages(), checked.definedFuelGlobal());
        if (compiled) {
            module.tierUp(ModuleCompiler.chicory().compile(checked.module(), null));
        }
        return module;
    }

    private static Outcome run(CompiledModule module, byte[] stdin, long fuel) {
        return run(module, new InvocationRequest(stdin, List.of("f"), Map.of()), fuel);
    }

    /** One run through the real sandbox, on a thread of its own with a {@link #RUN_STACK_BYTES} stack. */
    private static Outcome run(CompiledModule module, InvocationRequest request, long fuel) {
        var spec = new FunctionSpec("acme", FunctionName.of("f"), module.digest(), 1, 256, 600_000, Instant.EPOCH,
                fuel);
        var outcome = new AtomicReference<Outcome>();
        var failure = new AtomicReference<Throwable>();
        Thread thread = new Thread(null, () -> {
            try {
                outcome.set(Outcome.of(new Sandbox(SETTINGS).run(module, spec, request)));
            } catch (InvocationFailed e) {
                outcome.set(Outcome.of(e));
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "differential", RUN_STACK_BYTES);
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        if (failure.get() != null) {
            throw new AssertionError("the sandbox let a throwable escape", failure.get());
        }
        return outcome.get();
    }

    /**
     * Runs {@code bytes} on both tiers with {@code stdin}, with plenty of fuel and then with budgets that end the
     * run at many points, and asserts the tiers agree; returns the plentiful run's outcome.
     */
    private static Outcome assertTiersAgree(String what, byte[] bytes, byte[] stdin, boolean compareFuel) {
        CompiledModule interpreted = load(bytes, false);
        CompiledModule compiled = load(bytes, true);
        Outcome full = run(interpreted, stdin, PLENTY);
        assertSame(what + " with plenty of fuel", full, run(compiled, stdin, PLENTY), compareFuel);
        if (!compareFuel) {
            return full;
        }
        var budgets = new ArrayList<Long>();
        for (long b : new long[] {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610}) {
            budgets.add(b);
        }
        for (int d : new int[] {7, 3, 2}) {
            budgets.add(full.fuel() / d);
        }
        budgets.add(full.fuel() - 1);
        budgets.add(full.fuel());
        for (long budget : budgets) {
            if (budget <= 0) {
                continue;
            }
            Outcome a = run(interpreted, stdin, budget);
            Outcome b = run(compiled, stdin, budget);
            assertSame(what + " with a budget of " + budget, a, b, true);
            if (budget < full.fuel() && !full.kind().equals(Kind.FUEL_EXHAUSTED.name())) {
                assertEquals(Kind.FUEL_EXHAUSTED.name(), a.kind(), what + " with a budget of " + budget);
                assertEquals(budget, a.fuel(), what + ": an exhausted run reports its whole budget");
            }
        }
        return full;
    }

    private static void assertSame(String what, Outcome interpreted, Outcome compiled, boolean compareFuel) {
        assertEquals(interpreted.kind(), compiled.kind(), what + ": outcome");
        if (compareFuel) {
            assertEquals(interpreted.fuel(), compiled.fuel(), what + ": fuel");
            assertEquals(interpreted.stdout(), compiled.stdout(), what + ": stdout");
            assertEquals(interpreted.stderr(), compiled.stderr(), what + ": stderr");
        }
    }

    @Test
    void everyTrapInALoopOrDeepInACallChainEndsAlikeOnBothTiers() {
        byte[] module = TestModules.load("fuel-traps");
        String[] kinds = {"TRAP", "TRAP", "TRAP", "TRAP", "exit 0", "FUEL_EXHAUSTED", "STACK_EXHAUSTED",
                "STACK_EXHAUSTED"};
        for (int kind = 0; kind < kinds.length; kind++) {
            for (char where : new char[] {'a', 'b', 'c'}) {
                byte[] stdin = {(byte) ('0' + kind), (byte) where};
                String what = "fuel-traps " + new String(stdin, StandardCharsets.US_ASCII);
                boolean deterministic = kind != 7; // the JVM stack's depth differs between the tiers
                Outcome outcome = kind == 5
                        ? endless(module, stdin, what)
                        : assertTiersAgree(what, module, stdin, deterministic);
                assertEquals(kinds[kind], outcome.kind(), what);
                if (kind != 5) {
                    assertTrue(outcome.fuel() > 0, what + ": fuel " + outcome.fuel());
                }
                if (where == 'b' && deterministic) {
                    assertTrue(outcome.stderr().startsWith("level\n".repeat(301)), what + ": every level wrote");
                }
            }
        }
    }

    /** The endless loop only ends by running out: budgets of several sizes, each exhausted alike. */
    private static Outcome endless(byte[] bytes, byte[] stdin, String what) {
        CompiledModule interpreted = load(bytes, false);
        CompiledModule compiled = load(bytes, true);
        Outcome last = null;
        for (long budget : new long[] {1, 100, 5_000, 50_000, 1_000_000}) {
            Outcome a = run(interpreted, stdin, budget);
            assertSame(what + " with a budget of " + budget, a, run(compiled, stdin, budget), true);
            assertEquals(budget, a.fuel(), what);
            last = a;
        }
        return last;
    }

    @Test
    void everyRunnableFixtureEndsAlikeOnBothTiers() {
        // The exact-fuel fixtures and the scheduler tests' modules that end by themselves (the ones that sleep,
        // spin or wait for a timeout are the gauntlet's), with and without running out of fuel on the way.
        // big-leaf (a leaf frame of thousands of locals, BigFrameTest) is left out: a budget sweep over it on the
        // interpreter takes minutes.
        for (String fixture : List.of("fuel-empty", "fuel-straight", "fuel-loop", "fuel-calls", "fuel-bulk",
                "fuel-write-loop", "hello", "echo", "env", "exit-code", "plain", "status",
                "proc-exit", "trap", "div-zero", "out-of-bounds", "trap-conversion", "trap-indirect-type",
                "trap-null-indirect", "trap-overflow", "trap-table-bounds", "mutual-recursion",
                "cookies", "data-past-memory")) {
            byte[] stdin = "hello, tiers\n".getBytes(StandardCharsets.US_ASCII);
            boolean deterministic = !fixture.equals("mutual-recursion"); // ends at the JVM stack
            assertTiersAgree(fixture, TestModules.load(fixture), stdin, deterministic);
        }
        // An endless loop in the module's start function only ends by running out.
        assertEquals(Kind.FUEL_EXHAUSTED.name(),
                endless(TestModules.load("fuel-start-loop"), new byte[0], "fuel-start-loop").kind());
    }

    @Test
    void aRealProgramEndsAlikeOnBothTiers() {
        // wabt's wat2wasm (3 MB, 12 411 functions, RealProgramsTest) turning a text module into a binary: the same
        // bytes out, the same fuel, on both tiers; and out of fuel at a third and a half of the way alike.
        byte[] wat2wasm = TestModules.load("wat2wasm");
        byte[] text;
        try (var in = TierDifferentialTest.class.getResourceAsStream("/wasm/fuel-control.wat")) {
            text = in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        CompiledModule interpreted = load(wat2wasm, false);
        CompiledModule compiled = load(wat2wasm, true);
        var request = new InvocationRequest(text, List.of("wat2wasm", "-", "--enable-tail-call", "--output=-"),
                Map.of());
        Outcome full = run(interpreted, request, PLENTY);
        assertEquals("exit 0", full.kind(), full.stderr());
        assertArrayEquals(TestModules.load("fuel-control"), full.stdout().getBytes(StandardCharsets.ISO_8859_1));
        assertSame("wat2wasm", full, run(compiled, request, PLENTY), true);
        for (long budget : new long[] {full.fuel() / 3, full.fuel() / 2, full.fuel() - 1}) {
            Outcome a = run(interpreted, request, budget);
            assertSame("wat2wasm with a budget of " + budget, a, run(compiled, request, budget), true);
            assertEquals(Kind.FUEL_EXHAUSTED.name(), a.kind());
        }
    }
}
