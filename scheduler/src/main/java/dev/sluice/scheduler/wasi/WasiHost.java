package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.log.Logger;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import dev.sluice.scheduler.fuel.FuelMeter;
import java.io.OutputStream;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The WASI functions a worker's guests get: Chicory's, except where a guest-chosen pointer or length could make the
 * host allocate or work beyond what the guest's memory, its stdin and its output cap allow. Those are checked first
 * ({@link PointerChecks}) or replaced ({@link Stdio} for {@code fd_read}/{@code fd_write}, {@link PollOneoff},
 * {@link GuestArgs} for the arguments and environment). docs/sandbox.md lists each function, its limit and what an
 * attack gets. Every function is metered ({@link FuelMeter#meter(HostFunction[], java.util.function.Supplier)}).
 *
 * <p>Every function is also wrapped so that a runtime exception the guest's arguments provoke inside the host
 * ({@code NegativeArraySizeException}, an index or buffer out of bounds) becomes a {@link GuestFault}: the guest's
 * trap, not a host error.
 *
 * <p><b>Built once per worker, not per invocation</b> (issue 12: building Chicory's WASI and wrapping its ~46
 * functions four times over was a tenth of a {@code hello} request's CPU). The functions read the current
 * invocation from this object, which {@link #begin} points at the invocation's streams, arguments, environment and
 * fuel, and {@link #end} lets go of. Chicory's WASI keeps one piece of state of its own, its descriptor table; a
 * guest that calls a Chicory function that may change it ({@code fd_close}, {@code fd_renumber}, anything not known
 * to only read) marks this host dirty, and {@link #end} then builds Chicory's WASI and the table afresh, so the next
 * invocation always starts from the same descriptors as a fresh instance would. Confined to the worker's thread.
 */
public final class WasiHost {
    /**
     * Chicory functions known to leave its WASI as they found it (they read descriptors, clocks or the random
     * source only, or end the run). Any other Chicory function a guest calls makes {@link #end} rebuild.
     */
    private static final Set<String> READ_ONLY = Set.of("clock_res_get", "clock_time_get", "random_get",
            "fd_fdstat_get", "fd_filestat_get", "fd_prestat_get", "fd_prestat_dir_name", "sched_yield",
            "proc_exit", "poll_oneoff");

    private final Logger logger;
    private final Clock clock;
    private final Random random;
    private final LongSupplier nanoTime;
    private final Stdio stdio = new Stdio();
    private final GuestArgs guestArgs = new GuestArgs();
    private FuelMeter fuel;
    private boolean dirty;
    private WasiPreview1 wasi;
    private ImportValues imports;

    private WasiHost(Logger logger, Clock clock, Random random, LongSupplier nanoTime) {
        this.logger = Objects.requireNonNull(logger, "logger");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        build();
    }

    /**
     * @param logger   Chicory's WASI logger (given, so Chicory does not probe the class path for one)
     * @param clock    the guests' wall clock
     * @param random   the guests' random source
     * @param nanoTime monotonic nanoseconds, as Chicory's monotonic clock reads them
     */
    public static WasiHost create(Logger logger, Clock clock, Random random, LongSupplier nanoTime) {
        return new WasiHost(logger, clock, random, nanoTime);
    }

    /** The metered functions as the instance's imports; the same object for every invocation until a rebuild. */
    public ImportValues imports() {
        return imports;
    }

    /** Points the functions at the next invocation. */
    public void begin(byte[] stdin, OutputStream stdout, OutputStream stderr, List<String> args,
                      Map<String, String> env, FuelMeter fuel) {
        stdio.begin(stdin, stdout, stderr);
        guestArgs.begin(args, env);
        this.fuel = Objects.requireNonNull(fuel, "fuel");
    }

    /** The invocation is over, however it ended: forget it, and rebuild Chicory's WASI if the guest changed it. */
    public void end() {
        stdio.end();
        guestArgs.end();
        fuel = null;
        if (dirty) {
            build();
        }
    }

    private FuelMeter fuel() {
        return fuel;
    }

    private void build() {
        if (wasi != null) {
            wasi.close();
        }
        wasi = WasiPreview1.builder().withLogger(logger).withOptions(WasiOptions.builder()
                .withStdin(stdio.stdin(), false)
                .withStdout(stdio.stdout(), false)
                .withStderr(stdio.stderr(), false)
                .withClock(clock)
                .withRandom(random)
                .build()).build();
        PollOneoff poll = new PollOneoff(stdio, this::fuel, clock, nanoTime);
        HostFunction[] chicory = wasi.toHostFunctions();
        HostFunction[] functions = new HostFunction[chicory.length];
        for (int i = 0; i < chicory.length; i++) {
            HostFunction f = chicory[i];
            HostFunction safe = switch (f.name()) {
                case "fd_read" -> stdio.fdRead(f);
                case "fd_write" -> stdio.fdWrite(f);
                case "fd_close" -> stdio.fdClose(f);
                case "fd_renumber" -> stdio.fdRenumber(f);
                case "poll_oneoff" -> poll.wrap(f);
                default -> GuestArgs.replaces(f.name()) ? guestArgs.replace(f) : PointerChecks.STANDARD.guard(f);
            };
            functions[i] = guestFaults(keepsChicoryState(f.name()) ? safe : marksDirty(safe));
        }
        imports = ImportValues.builder().addFunction(FuelMeter.meter(functions, this::fuel)).build();
        dirty = false;
    }

    /** Whether a call of this function leaves Chicory's WASI as it was: Sluice's own, or read-only in Chicory. */
    private static boolean keepsChicoryState(String name) {
        return name.equals("fd_read") || name.equals("fd_write") || GuestArgs.replaces(name)
                || READ_ONLY.contains(name);
    }

    private HostFunction marksDirty(HostFunction f) {
        return new HostFunction(f.module(), f.name(), f.functionType(), (instance, args) -> {
            dirty = true;
            return f.handle().apply(instance, args);
        });
    }

    private static HostFunction guestFaults(HostFunction f) {
        return new HostFunction(f.module(), f.name(), f.functionType(), (instance, args) -> {
            try {
                return f.handle().apply(instance, args);
            } catch (NegativeArraySizeException | IndexOutOfBoundsException | BufferOverflowException
                     | BufferUnderflowException | IllegalArgumentException e) {
                throw new GuestFault(f.name() + ": the guest's arguments are out of range (" + e + ")", e);
            } catch (WasmRuntimeException e) {
                // Chicory's out-of-bounds memory access or unsupported call: the guest's doing, named by function.
                throw new GuestFault(f.name() + ": " + e.getMessage(), e);
            }
        });
    }
}
