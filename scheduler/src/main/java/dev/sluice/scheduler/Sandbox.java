package dev.sluice.scheduler;

import com.dylibso.chicory.log.Logger;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasm.ChicoryException;
import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.InvocationFailed.Kind;
import dev.sluice.scheduler.fuel.FuelMeter;
import dev.sluice.scheduler.wasi.GuestFault;
import dev.sluice.scheduler.wasi.WasiHost;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * Runs one WASI command invocation on the calling thread, in a fresh instance. The guest gets stdin, stdout and
 * stderr (both bounded), its arguments and environment, the real clock and a secure random source, and, when the
 * request grants them ({@link InvocationRequest#files()}), its function's assets (read-only, or a private writable
 * copy) and a bounded, private {@code /tmp}; no other files, no sockets. Every way a guest can fail ends as an
 * {@link InvocationFailed}; writable assets that do not fit the scratch space end as
 * {@link SchedulerException.AssetsExceedScratch} before the guest starts; no other throwable
 * escapes, so the worker thread survives whatever the guest does. Every outcome reports the fuel used
 * ({@link FuelMeter}); a run that ends normally, or at a fuel check, having needed more than the function's budget
 * ends as FUEL_EXHAUSTED (for traps inside functions with loops see docs/fuel.md: charges not yet stored to the
 * counter are not seen).
 *
 * <p>Thread-safe: keeps no per-invocation state beyond each thread's {@link WasiHost}, which lets go of an
 * invocation when it ends. The wall-clock timeout is not enforced here: the caller
 * interrupts the thread, which Chicory's interpreter and compiled code both check.
 */
final class Sandbox {
    private static final System.Logger LOG = System.getLogger(Sandbox.class.getName());
    /**
     * Given to every WASI instance: without a logger, Chicory's builder probes for Android with
     * {@code Class.forName("android.os.Build")} on each build, a failed class-path search that cost a tenth of the
     * server's CPU for {@code hello} (JFR, issue 12). Stateless, so one serves all threads; at debug level only, as
     * what it says is the guest's doing.
     */
    private static final Logger WASI_LOG = new GuestCallLog();
    private final long maxStdoutBytes;
    private final long maxStderrBytes;
    private final Random random = new SecureRandom();
    /**
     * Each worker thread's WASI functions, built once (issue 12): Chicory's WASI and Sluice's checks and meters
     * around it, pointed at each invocation in turn ({@link WasiHost#begin}).
     */
    private final ThreadLocal<WasiHost> hosts = ThreadLocal.withInitial(() ->
            WasiHost.create(WASI_LOG, Clock.systemUTC(), random, System::nanoTime));
    /** Each worker thread's memory between invocations ({@link MemoryCap.Spare}). */
    private final ThreadLocal<MemoryCap.Spare> spares = ThreadLocal.withInitial(MemoryCap.Spare::new);

    Sandbox(SchedulerSettings settings) {
        this.maxStdoutBytes = settings.maxStdoutBytes();
        this.maxStderrBytes = settings.maxStderrBytes();
    }

    InvocationResult run(CompiledModule module, FunctionSpec function, InvocationRequest request) {
        long started = System.nanoTime();
        var stdout = new BoundedOutput("stdout", maxStdoutBytes);
        var stderr = new BoundedOutput("stderr", maxStderrBytes);
        var memory = new MemoryCap(function.memoryPages(), spares.get());
        var fuel = FuelMeter.create(function.fuel(), module.definedFuelGlobal());
        WasiHost wasi = hosts.get();
        try {
            wasi.begin(request.stdin(), stdout, stderr, request.args(), request.env(), fuel, request.files());
            // The meter creates the fuel counter holding the budget, so the module's start function is metered too.
            Instance instance = Instance.builder(module.module())
                    .withMachineFactory(module.machineFactory())
                    .withImportValues(wasi.imports())
                    .withMemoryFactory(memory::create)
                    .withTableFactory(new TableCap(ModuleValidator.maxTableElements()))
                    .withGlobalFactory(fuel)
                    .withStart(false)
                    .build();
            instance.export(Instance.START_FUNCTION_NAME).apply();
            return result(0, stdout, stderr, started, fuel);
        } catch (SchedulerException.AssetsExceedScratch refused) {
            throw refused; // from begin: the guest never started
        } catch (Throwable t) {
            WasiExitException exit = find(t, WasiExitException.class);
            if (exit != null) {
                return result(exit.exitCode(), stdout, stderr, started, fuel);
            }
            throw failure(t, memory, stderr, fuel);
        } finally {
            wasi.end();
            memory.release();
        }
    }

    /** @throws InvocationFailed FUEL_EXHAUSTED when the run finished but overdrew its budget on the way */
    private static InvocationResult result(int exitCode, BoundedOutput stdout, BoundedOutput stderr, long started,
                                           FuelMeter fuel) {
        if (fuel.exhausted()) {
            throw exhausted(fuel, stderr.snapshot());
        }
        return new InvocationResult(exitCode, stdout.snapshot(), stderr.snapshot(),
                Duration.ofNanos(System.nanoTime() - started), fuel.used());
    }

    private static InvocationFailed exhausted(FuelMeter fuel, byte[] stderr) {
        return new InvocationFailed(Kind.FUEL_EXHAUSTED, "ran out of fuel (budget: " + fuel.budget() + ")", stderr,
                fuel.used());
    }

    /**
     * Classifies the guest's failure; the order matters, since one cause can be wrapped in another. A run whose
     * counter shows it overdrew its fuel is out of fuel first of all: the counter is checked only at function entries
     * and loop headers, so the trap that ended it may be the guest's own, met before the next check. The counter is
     * exact here on both tiers: compiled code stores its register copy on every exception (docs/fuel.md).
     */
    private static InvocationFailed failure(Throwable t, MemoryCap memory, BoundedOutput stderr, FuelMeter fuel) {
        byte[] captured = stderr.snapshot();
        long used = fuel.used();
        if (fuel.exhausted()) {
            return exhausted(fuel, captured);
        }
        BoundedOutput.LimitExceeded output = find(t, BoundedOutput.LimitExceeded.class);
        if (output != null) {
            return new InvocationFailed(Kind.OUTPUT_LIMIT, output.getMessage(), captured, used);
        }
        if (find(t, ChicoryInterruptedException.class) != null || find(t, InterruptedException.class) != null
                || Thread.currentThread().isInterrupted()) {
            return new InvocationFailed(Kind.TIMEOUT, "interrupted", captured, used);
        }
        MemoryCap.Refused refused = find(t, MemoryCap.Refused.class);
        if (refused != null) {
            return new InvocationFailed(Kind.MEMORY_LIMIT, refused.getMessage(), captured, used);
        }
        if (find(t, StackOverflowError.class) != null || hasMessage(t, "call stack exhausted")) {
            return new InvocationFailed(Kind.STACK_EXHAUSTED, "call stack exhausted", captured, used);
        }
        if (find(t, TrapException.class) != null && memory.reached()) {
            // The guest used all the memory it may have and then trapped: almost certainly a failed grow or
            // allocation, so say which limit it hit rather than a bare trap.
            return new InvocationFailed(Kind.MEMORY_LIMIT, "trapped after reaching the memory limit of "
                    + memory.capPages() + " pages: " + message(t), captured, used);
        }
        if (find(t, OutOfMemoryError.class) != null) {
            return new InvocationFailed(Kind.TRAP, "host ran out of memory", captured, used);
        }
        GuestFault fault = find(t, GuestFault.class);
        if (fault != null) {
            // The guest's arguments broke a host call: its trap, worth a DEBUG line for whoever debugs the guest.
            LOG.log(System.Logger.Level.DEBUG, "guest fault in a WASI call: {0}", fault.getMessage());
            return new InvocationFailed(Kind.TRAP, fault.getMessage(), captured, used);
        }
        Throwable guestRange = guestInducedHostException(t);
        if (guestRange != null) {
            // The runtime's own memory code met a guest address or length it could not handle (Chicory's bounds
            // checks wrap around in 32 bits): still the guest's fault, not ours.
            LOG.log(System.Logger.Level.DEBUG, "guest address or length broke the runtime", guestRange);
            return new InvocationFailed(Kind.TRAP, "out of bounds memory access (" + guestRange + ")", captured,
                    used);
        }
        ChicoryException trap = find(t, ChicoryException.class);
        if (trap != null) {
            return new InvocationFailed(Kind.TRAP, message(trap), captured, used);
        }
        // Not the guest's trap but a failure of ours (a host function, the runtime): the tenant learns nothing of
        // our internals; the log gets the whole story.
        LOG.log(System.Logger.Level.ERROR, "invocation failed inside the host", t);
        return new InvocationFailed(Kind.TRAP, "internal error", captured, used);
    }

    /** The exception the runtime throws when a guest address or length overflows its arithmetic, if any. */
    private static Throwable guestInducedHostException(Throwable t) {
        for (Class<? extends Throwable> type : List.of(NegativeArraySizeException.class,
                IndexOutOfBoundsException.class, BufferOverflowException.class, BufferUnderflowException.class)) {
            Throwable found = find(t, type);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static boolean hasMessage(Throwable t, String text) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null && c.getMessage().contains(text)) {
                return true;
            }
        }
        return false;
    }

    private static String message(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
