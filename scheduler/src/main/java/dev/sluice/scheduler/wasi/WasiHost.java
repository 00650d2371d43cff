package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.log.Logger;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import dev.sluice.scheduler.files.FunctionFiles;
import dev.sluice.scheduler.files.Scratch;
import dev.sluice.scheduler.fuel.FuelMeter;
import java.io.OutputStream;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * invocation always starts from the same descriptors as a fresh instance would.
 *
 * <p><b>Files</b> (issue 15): an invocation whose {@link FunctionFiles} grant any directory gets a WASI of its own,
 * built by {@link #begin} with {@code /assets} and {@code /tmp} preopened (fds 3 and 4, or 3 alone) and Chicory's
 * file functions guarded ({@link FileGuard}), and dropped by {@link #end} with its scratch file system; the worker's
 * shared WASI is not touched, so an invocation without files runs exactly as before. Nothing of one invocation's
 * files (descriptors, scratch, open channels) can reach the next. Confined to the worker's thread.
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
    /** The current invocation's own WASI, scratch and imports when it has files; all null otherwise. */
    private WasiPreview1 fileWasi;
    private Scratch scratch;
    private ImportValues fileImports;

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

    /**
     * The metered functions as the instance's imports: for an invocation without files the same object every time
     * until a rebuild; for one with files, its own.
     */
    public ImportValues imports() {
        return fileImports != null ? fileImports : imports;
    }

    /** Points the functions at the next invocation, which has no files. */
    public void begin(byte[] stdin, OutputStream stdout, OutputStream stderr, List<String> args,
                      Map<String, String> env, FuelMeter fuel) {
        begin(stdin, stdout, stderr, args, env, fuel, FunctionFiles.NONE);
    }

    /**
     * Points the functions at the next invocation; if it has files, builds its own WASI with them.
     *
     * @throws IllegalStateException when the assets directory is not a directory (the host's fault, not the guest's)
     */
    public void begin(byte[] stdin, OutputStream stdout, OutputStream stderr, List<String> args,
                      Map<String, String> env, FuelMeter fuel, FunctionFiles files) {
        stdio.begin(stdin, stdout, stderr);
        guestArgs.begin(args, env);
        this.fuel = Objects.requireNonNull(fuel, "fuel");
        if (files.any()) {
            openFiles(files);
        }
    }

    /** The invocation is over, however it ended: forget it, and rebuild Chicory's WASI if the guest changed it. */
    public void end() {
        stdio.end();
        guestArgs.end();
        fuel = null;
        closeFiles();
        if (dirty) {
            build();
        }
    }

    private void openFiles(FunctionFiles files) {
        Path assets = files.assets().orElse(null);
        if (assets != null && !Files.isDirectory(assets)) {
            throw new IllegalStateException("assets: " + assets + " is not a directory");
        }
        WasiOptions.Builder options = options();
        if (assets != null) {
            options.withDirectory("/assets", assets);
        }
        if (files.scratch().granted()) {
            scratch = Scratch.open(files.scratch());
            options.withDirectory("/tmp", scratch.root());
        }
        fileWasi = WasiPreview1.builder().withLogger(logger).withOptions(options.build()).build();
        // Chicory numbers the preopens after the three standard streams, in the order given.
        FileGuard guard = new FileGuard(assets, scratch, 3, this::fuel);
        fileImports = wrap(fileWasi, guard);
    }

    private void closeFiles() {
        if (fileWasi == null && scratch == null) {
            return;
        }
        try {
            if (fileWasi != null) {
                fileWasi.close(); // the invocation's open channels
            }
        } finally {
            fileWasi = null;
            fileImports = null;
            if (scratch != null) {
                Scratch s = scratch;
                scratch = null;
                s.close();
            }
        }
    }

    private FuelMeter fuel() {
        return fuel;
    }

    private void build() {
        if (wasi != null) {
            wasi.close();
        }
        wasi = WasiPreview1.builder().withLogger(logger).withOptions(options().build()).build();
        imports = wrap(wasi, null);
        dirty = false;
    }

    private WasiOptions.Builder options() {
        return WasiOptions.builder()
                .withStdin(stdio.stdin(), false)
                .withStdout(stdio.stdout(), false)
                .withStderr(stdio.stderr(), false)
                .withClock(clock)
                .withRandom(random);
    }

    /**
     * Chicory's functions of {@code wasi}, checked, replaced, guarded and metered. {@code files} is null for the
     * worker's shared WASI, whose changes mark it dirty; a file-using invocation's WASI is dropped at its end anyway.
     */
    private ImportValues wrap(WasiPreview1 wasi, FileGuard files) {
        PollOneoff poll = new PollOneoff(stdio, this::fuel, clock, nanoTime);
        HostFunction[] chicory = wasi.toHostFunctions();
        HostFunction[] functions = new HostFunction[chicory.length];
        for (int i = 0; i < chicory.length; i++) {
            HostFunction f = chicory[i];
            HostFunction guarded = files == null ? f : files.guard(f);
            HostFunction safe = switch (f.name()) {
                case "fd_read" -> stdio.fdRead(f, files == null ? null : guarded);
                case "fd_write" -> stdio.fdWrite(f, files == null ? null : guarded);
                case "fd_close" -> stdio.fdClose(guarded);
                case "fd_renumber" -> stdio.fdRenumber(guarded);
                case "poll_oneoff" -> poll.wrap(f);
                default -> GuestArgs.replaces(f.name()) ? guestArgs.replace(f) : PointerChecks.STANDARD.guard(guarded);
            };
            functions[i] = guestFaults(files != null || keepsChicoryState(f.name()) ? safe : marksDirty(safe));
        }
        return ImportValues.builder().addFunction(FuelMeter.meter(functions, this::fuel)).build();
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
