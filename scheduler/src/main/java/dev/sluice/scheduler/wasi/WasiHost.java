package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.log.Logger;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.files.AssetMount;
import dev.sluice.scheduler.files.FunctionFiles;
import dev.sluice.scheduler.files.Scratch;
import dev.sluice.scheduler.files.ScratchLimits;
import dev.sluice.scheduler.fuel.FuelCosts;
import dev.sluice.scheduler.fuel.FuelMeter;
import java.io.OutputStream;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
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
 * <p><b>Files</b> (issue 15): an invocation whose {@link FunctionFiles} grant any directory sees its preopens from
 * the start ({@link FunctionFiles#mount()}: the read-only assets at their path then scratch at {@code /tmp}, or one
 * writable copy of the assets at their path; fds 3 and on), but pays for them only when it uses them: until its first
 * call that needs a directory, {@code fd_prestat_get}/{@code fd_prestat_dir_name} are answered here and every other
 * call goes to the worker's shared WASI (calls that only read, on the standard streams, the same as a fresh WASI
 * would answer). That first call opens the invocation's files: its own Chicory WASI with the preopens, its scratch
 * file system (Jimfs; for a writable mount seeded with the tree, fuel charged then), and {@link FileGuard}'s rules;
 * from then on every Chicory function of the invocation is that WASI's. {@link #end} drops all of it. The wrappers
 * themselves are built once per worker: only the functions they lead to change. Nothing of one invocation's files
 * (descriptors, scratch, open channels) can reach the next. Confined to the worker's thread.
 */
public final class WasiHost {
    /**
     * Chicory functions known to leave its WASI as they found it (they read descriptors, clocks or the random
     * source only, or end the run). Any other Chicory function a guest calls makes {@link #end} rebuild.
     */
    private static final Set<String> READ_ONLY = Set.of("clock_res_get", "clock_time_get", "random_get",
            "fd_fdstat_get", "fd_filestat_get", "fd_prestat_get", "fd_prestat_dir_name", "sched_yield",
            "proc_exit", "poll_oneoff");
    /**
     * Chicory functions that only read and take no descriptor: the shared WASI answers them in any invocation
     * ({@code poll_oneoff} may name descriptors, but Chicory sees it only through {@link #opening}).
     */
    private static final Set<String> NO_DESCRIPTOR = Set.of("clock_res_get", "clock_time_get", "random_get",
            "sched_yield", "proc_exit", "poll_oneoff");
    /** The first preopened descriptor: Chicory numbers the preopens after the standard streams, in order given. */
    private static final int FIRST_PREOPEN = 3;
    /** Asset trees measured for writable mounts, per worker (trees are content-addressed, never changed). */
    private static final int MEASURED_TREES = 64;

    private final Logger logger;
    private final Clock clock;
    private final Random random;
    private final LongSupplier nanoTime;
    private final Stdio stdio = new Stdio();
    private final GuestArgs guestArgs = new GuestArgs();
    private final FileGuard guard;
    private final ImportValues imports;
    private final Map<Path, Scratch.Tree> measured = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, Scratch.Tree> eldest) {
            return size() > MEASURED_TREES;
        }
    };
    private FuelMeter fuel;
    private boolean dirty;
    /** The worker's shared WASI and its functions, which the wrappers call unless the invocation opened files. */
    private WasiPreview1 wasi;
    private HostFunction[] chicory;
    /** The current invocation's files, null when it has none; its preopens' names, fd 3 first. */
    private FunctionFiles files;
    private byte[][] preopens;
    /** A writable mount's measured asset tree, as {@link #checkFits} found it; null for any other invocation. */
    private Scratch.Tree tree;
    /** Once the invocation opened its files: its own WASI, functions and scratch; null before and without. */
    private WasiPreview1 fileWasi;
    private HostFunction[] fileFunctions;
    private Scratch scratch;

    private WasiHost(Logger logger, Clock clock, Random random, LongSupplier nanoTime) {
        this.logger = Objects.requireNonNull(logger, "logger");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.guard = new FileGuard(this::fuel, clock); // the clock of *_NOW times it sets itself
        build();
        imports = wrap();
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

    /** The metered functions as the instance's imports: the same object for every invocation on this worker. */
    public ImportValues imports() {
        return imports;
    }

    /** Points the functions at the next invocation, which has no files. */
    public void begin(byte[] stdin, OutputStream stdout, OutputStream stderr, List<String> args,
                      Map<String, String> env, FuelMeter fuel) {
        begin(stdin, stdout, stderr, args, env, fuel, FunctionFiles.NONE);
    }

    /**
     * Points the functions at the next invocation and, if it has files, lists its preopens (opened on first use).
     *
     * @throws SchedulerException.AssetsExceedScratch when its assets are writable and do not fit its scratch space
     * @throws java.io.UncheckedIOException           when a writable mount's assets cannot be read (the host's fault)
     */
    public void begin(byte[] stdin, OutputStream stdout, OutputStream stderr, List<String> args,
                      Map<String, String> env, FuelMeter fuel, FunctionFiles files) {
        if (files.any()) {
            if (files.mount().writable()) {
                checkFits(files);
            }
            this.preopens = preopens(files);
            this.files = files;
        }
        stdio.begin(stdin, stdout, stderr);
        guestArgs.begin(args, env);
        this.fuel = Objects.requireNonNull(fuel, "fuel");
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

    /** The guest directories, in descriptor order from {@value #FIRST_PREOPEN}. */
    private static byte[][] preopens(FunctionFiles files) {
        if (files.assets().isEmpty() && !files.mount().writable()) {
            return SCRATCH_ONLY;
        }
        byte[] path = files.mount().path().getBytes(StandardCharsets.UTF_8);
        return files.mount().writable() || !files.scratch().granted() ? new byte[][] {path} : new byte[][] {path, TMP};
    }

    private static final byte[] TMP = "/tmp".getBytes(StandardCharsets.UTF_8);
    private static final byte[][] SCRATCH_ONLY = {TMP}; // never written: prestatDirName copies from it

    private void checkFits(FunctionFiles files) {
        if (files.assets().isEmpty()) {
            return; // an empty writable directory: any scratch space holds it
        }
        Scratch.Tree measuredTree = measured.computeIfAbsent(files.assets().get(), Scratch.Tree::measure);
        measuredTree.shortfall(files.scratch()).ifPresent(s -> {
            throw new SchedulerException.AssetsExceedScratch(s.bound(), s.detail());
        });
        tree = measuredTree;
    }

    /**
     * Opens the invocation's files on its first call that needs them: its own WASI with the preopens, its scratch
     * space (a writable mount's seeded with the tree, the copy charged fuel first), and the guard's rules.
     */
    private void openFiles() {
        try {
            open(files);
        } catch (RuntimeException | Error e) {
            // The call fails with this (a host error, or out of fuel for the copy); should the guest get to call
            // again, it finds no files rather than a half-open set.
            closeFiles();
            throw e;
        }
    }

    private void open(FunctionFiles f) {
        Path assets = f.assets().orElse(null);
        if (assets != null && !Files.isDirectory(assets)) {
            throw new IllegalStateException("assets: " + assets + " is not a directory");
        }
        WasiOptions.Builder options = options();
        AssetMount mount = f.mount();
        if (mount.writable()) {
            if (assets != null) {
                fuel.charge(tree.entries() * FuelCosts.FILE_PER_ENTRY + tree.bytes() * FuelCosts.HOST_PER_BYTE);
            }
            scratch = Scratch.open(f.scratch());
            if (assets != null) {
                scratch.seed(assets);
            }
            options.withDirectory(mount.path(), scratch.root());
            guard.begin(null, scratch, FIRST_PREOPEN);
        } else {
            if (assets != null) {
                options.withDirectory(mount.path(), assets);
            }
            if (f.scratch().granted()) {
                scratch = Scratch.open(f.scratch());
                options.withDirectory("/tmp", scratch.root());
            }
            guard.begin(assets, scratch, FIRST_PREOPEN);
        }
        fileWasi = WasiPreview1.builder().withLogger(logger).withOptions(options.build()).build();
        fileFunctions = fileWasi.toHostFunctions();
    }

    private void closeFiles() {
        files = null;
        preopens = null;
        tree = null;
        guard.end();
        fileFunctions = null;
        try {
            if (fileWasi != null) {
                fileWasi.close(); // the invocation's open channels
            }
        } finally {
            fileWasi = null;
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
        chicory = wasi.toHostFunctions();
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
     * Chicory's functions, checked, replaced, guarded and metered, once per worker. Each leads to the function of
     * the same index of whichever WASI serves the invocation now ({@link #target}); a call of the shared WASI that
     * may change it marks it dirty. Under the guard, {@link #gate} opens the invocation's files when a call needs them.
     */
    private ImportValues wrap() {
        PollOneoff poll = new PollOneoff(stdio, this::fuel, clock, nanoTime);
        HostFunction[] functions = new HostFunction[chicory.length];
        for (int i = 0; i < chicory.length; i++) {
            HostFunction f = target(i, chicory[i]);
            HostFunction gated = gate(f, guard.guard(f));
            functions[i] = guestFaults(switch (f.name()) {
                case "fd_read" -> stdio.fdRead(f, otherFds(gated));
                case "fd_write" -> stdio.fdWrite(f, otherFds(gated));
                case "fd_close" -> stdio.fdClose(gated);
                case "fd_renumber" -> stdio.fdRenumber(gated);
                case "poll_oneoff" -> poll.wrap(opening(f));
                default -> GuestArgs.replaces(f.name()) ? guestArgs.replace(f) : PointerChecks.STANDARD.guard(gated);
            });
        }
        return ImportValues.builder().addFunction(FuelMeter.meter(functions, this::fuel)).build();
    }

    /** What Stdio does with a descriptor that is no standard stream: without files, EBADF as before files. */
    private HostFunction otherFds(HostFunction gated) {
        return new HostFunction(gated.module(), gated.name(), gated.functionType(), (instance, args) ->
                files != null ? gated.handle().apply(instance, args) : Errno.EBADF.result());
    }

    /** Chicory's function {@code index} of the invocation's own WASI once it opened its files, else the shared one. */
    private HostFunction target(int index, HostFunction prototype) {
        boolean keeps = keepsChicoryState(prototype.name());
        return new HostFunction(prototype.module(), prototype.name(), prototype.functionType(), (instance, args) -> {
            if (fileFunctions != null) {
                return fileFunctions[index].handle().apply(instance, args);
            }
            if (!keeps) {
                dirty = true;
            }
            return chicory[index].handle().apply(instance, args);
        });
    }

    /**
     * Before an invocation with files has opened them: answers the preopen listing, lets through what the shared
     * WASI answers as a fresh one with the preopens would (calls that only read, on no descriptor or a standard
     * stream's), and opens the files for anything else, then lets it through. A function with neither is
     * {@code guarded} itself.
     */
    private HostFunction gate(HostFunction prototype, HostFunction guarded) {
        String name = prototype.name();
        Handler early = switch (name) {
            case "fd_prestat_get" -> this::prestatGet;
            case "fd_prestat_dir_name" -> this::prestatDirName;
            default -> null;
        };
        boolean anyDescriptor = !NO_DESCRIPTOR.contains(name) && !GuestArgs.replaces(name);
        if (early == null && !anyDescriptor) {
            return guarded; // nothing to answer early and no descriptor to open files for
        }
        boolean readsOnly = READ_ONLY.contains(name);
        return new HostFunction(prototype.module(), name, prototype.functionType(), (instance, args) -> {
            if (files != null && fileFunctions == null) {
                if (early != null) {
                    return early.apply(instance, args);
                }
                if (anyDescriptor && (!readsOnly || (int) args[0] >= FIRST_PREOPEN)) {
                    openFiles();
                }
            }
            return guarded.handle().apply(instance, args);
        });
    }

    /**
     * {@code poll_oneoff} as far as Chicory answers it (subscriptions ready at once, which may name any descriptor):
     * with the invocation's files opened first, if it has any, so a directory's descriptor answers as it will later.
     */
    private HostFunction opening(HostFunction target) {
        return new HostFunction(target.module(), target.name(), target.functionType(), (instance, args) -> {
            if (files != null && fileFunctions == null) {
                openFiles();
            }
            return target.handle().apply(instance, args);
        });
    }

    @FunctionalInterface
    private interface Handler {
        long[] apply(Instance instance, long[] args);
    }

    /** As Chicory answers {@code fd_prestat_get(fd, buf)} for the invocation's preopens. */
    private long[] prestatGet(Instance instance, long[] args) {
        byte[] name = preopen((int) args[0]);
        if (name == null) {
            return Errno.EBADF.result();
        }
        int buf = (int) args[1];
        instance.memory().writeI32(buf, 0); // preopentype::dir
        instance.memory().writeI32(buf + 4, name.length);
        return Errno.SUCCESS.result();
    }

    /** As Chicory answers {@code fd_prestat_dir_name(fd, path, path_len)} for the invocation's preopens. */
    private long[] prestatDirName(Instance instance, long[] args) {
        byte[] name = preopen((int) args[0]);
        if (name == null) {
            return Errno.EBADF.result();
        }
        if ((int) args[2] < name.length) {
            return Errno.ENAMETOOLONG.result();
        }
        instance.memory().write((int) args[1], name);
        return Errno.SUCCESS.result();
    }

    private byte[] preopen(int fd) {
        int index = fd - FIRST_PREOPEN;
        return index >= 0 && index < preopens.length ? preopens[index] : null;
    }

    /** Whether a call of this function leaves Chicory's WASI as it was: Sluice's own, or read-only in Chicory. */
    private static boolean keepsChicoryState(String name) {
        return name.equals("fd_read") || name.equals("fd_write") || GuestArgs.replaces(name)
                || READ_ONLY.contains(name);
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
