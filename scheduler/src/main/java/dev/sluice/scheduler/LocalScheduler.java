package dev.sluice.scheduler;

import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.shared.FunctionIndex;
import dev.sluice.scheduler.shared.ModuleStore;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The scheduler running in this process: the function registry (stored under a data directory, or shared through
 * a {@link FunctionIndex} and {@link ModuleStore}) and the worker pool that runs invocations. Thread-safe; {@link #close()} stops the pool (the registry's writes are already durable).
 */
public final class LocalScheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LocalScheduler.class.getName());
    /** Modules a worker of shared functions keeps at most (see {@link ModuleLibrary}). */
    public static final int DEFAULT_LIBRARY_CAPACITY = 256;

    /** Null in a worker of shared functions (the gateway keeps the registry). */
    private final FunctionRegistry functions;
    private final Dispatcher dispatcher;
    private static final Dispatcher NO_WORKERS = new Dispatcher() {
        @Override
        public InvocationResult invoke(FunctionSpec function, InvocationRequest request,
                                       InvocationObserver observer) {
            throw new SchedulerException.Overloaded("this process runs no functions (it has no workers)");
        }

        @Override
        public void shutdown(long graceMillis) {
        }
    };
    private final ModuleCache modules;
    /** The store of shared functions' bytes (null in a process whose functions are in its data directory). */
    private final ModuleStore sharedStore;
    private final ModuleLibrary library;
    private final AutoCloseable onClose;
    /** The background sweep of files no function uses (null when there is none). */
    private final Thread sweeper;

    private LocalScheduler(FunctionRegistry functions, Dispatcher dispatcher, ModuleCache modules,
                           ModuleStore sharedStore, ModuleLibrary library, AutoCloseable onClose) {
        this(functions, dispatcher, modules, sharedStore, library, onClose, null);
    }

    private LocalScheduler(FunctionRegistry functions, Dispatcher dispatcher, ModuleCache modules,
                           ModuleStore sharedStore, ModuleLibrary library, AutoCloseable onClose, Thread sweeper) {
        this.functions = functions;
        this.dispatcher = dispatcher;
        this.modules = modules;
        this.sharedStore = sharedStore;
        this.library = library;
        this.onClose = onClose;
        this.sweeper = sweeper;
    }

    /**
     * Reads the stored functions' index and starts the workers; nothing else is loaded, so the start takes as long
     * with 100 000 functions as with none. Each module is loaded at its function's first call: its file is read and
     * checked against the digest, and its validated, instrumented form parsed from {@code <dataDir>/instrumented}
     * (written at deploy) or, when that has no entry for this build, validated again. Modules compiled by an earlier
     * run are loaded from {@code <dataDir>/compiled} in the background; the others are compiled there. Until then a
     * module runs on the interpreter. A missing or corrupt cached entry only means validating or compiling again.
     * Files no function uses any more are swept by a background thread after the start.
     *
     * <p>A stored module that no longer passes validation (the rules changed since its deploy) is found at its first
     * call: it is logged once at WARNING naming its functions, which stay stored and answer invocations with
     * {@link ModuleRejected} until deployed again.
     *
     * @throws SchedulerException.StorageFailure naming the file when the index is corrupt (a missing or corrupt
     *                                           module file fails its functions' calls the same way)
     */
    public static LocalScheduler open(SchedulerSettings settings, Path dataDir, InstantSource clock) {
        return open(settings, dataDir, clock, ModuleCompiler.chicory());
    }

    /** {@link #open(SchedulerSettings, Path, InstantSource)}, telling {@code onCompiled} of each real compile. */
    public static LocalScheduler open(SchedulerSettings settings, Path dataDir, InstantSource clock,
                                      CompileListener onCompiled) {
        return open(settings, dataDir, clock, ModuleCompiler.chicory(), true, onCompiled);
    }

    /** {@link #open(SchedulerSettings, Path, InstantSource)} with another compiler, for tests. */
    static LocalScheduler open(SchedulerSettings settings, Path dataDir, InstantSource clock,
                               ModuleCompiler compiler) {
        return open(settings, dataDir, clock, compiler, true, CompileListener.NONE);
    }

    /**
     * The function registry alone, without worker threads: for a {@code sluice gateway} that stores functions in its
     * data directory and runs them on remote workers. Its {@link #dispatcher()} refuses every invocation. It validates
     * and stores modules but compiles none (no compile threads, nothing written under {@code <dataDir>/compiled},
     * whatever {@link SchedulerSettings#compileThreads()} and the compile budget say): the workers compile what they
     * run, and a gateway only pays for what it needs.
     */
    public static LocalScheduler openWithoutWorkers(SchedulerSettings settings, Path dataDir, InstantSource clock) {
        return openWithoutWorkers(settings, dataDir, clock, ModuleCompiler.chicory());
    }

    /** {@link #openWithoutWorkers(SchedulerSettings, Path, InstantSource)} with another compiler, for tests. */
    static LocalScheduler openWithoutWorkers(SchedulerSettings settings, Path dataDir, InstantSource clock,
                                             ModuleCompiler compiler) {
        return open(settings, dataDir, clock, compiler, false, CompileListener.NONE);
    }

    private static LocalScheduler open(SchedulerSettings settings, Path dataDir, InstantSource clock,
                                       ModuleCompiler compiler, boolean withWorkers, CompileListener onCompiled) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(compiler, "compiler");
        var store = new FunctionStore(dataDir);
        var validator = new ModuleValidator(WasiImports.create());
        var disk = CompiledCache.open(dataDir);
        // Without workers nothing here runs a guest: no compile threads, so the cache keeps modules interpreted (a
        // module is instrumented to validate it anyway) and nothing is compiled, waited for or written to disk.
        var modules = new ModuleCache(disk, compiler, withWorkers ? settings.compileThreads() : 0, System::nanoTime,
                onCompiled);
        // The index only: every module is loaded at its function's first call (DiskFunctionRegistry#module), so the
        // start does not depend on how many functions are stored.
        var registry = new DiskFunctionRegistry(store, validator, modules, InstrumentedCache.open(dataDir), clock,
                withWorkers ? settings.compileBudgetMillis() : 0, store.load());
        Thread sweeper = Thread.ofPlatform().name("sluice-start-background").daemon().priority(Thread.MIN_PRIORITY)
                .unstarted(() -> {
                    try {
                        registry.warmUp();
                    } catch (RuntimeException e) {
                        LOG.log(Level.DEBUG, "warm-up failed (only the first call pays for it): " + e);
                    }
                    try {
                        registry.sweep(disk);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "cannot sweep unused module files: " + e);
                    }
                });
        sweeper.start();
        Dispatcher dispatcher = withWorkers ? WorkerPool.byFunction(settings, registry::module) : NO_WORKERS;
        return new LocalScheduler(registry, dispatcher, modules, null, null, () -> {
            sweeper.interrupt();
            sweeper.join(TimeUnit.SECONDS.toMillis(10));
            registry.close();
        }, sweeper);
    }

    /**
     * The scheduler of a process sharing its functions with others (all in one, {@code tenancy-store=redis}): the
     * registry keeps metadata in {@code index} and module bytes in {@code store}, and the in-process workers fetch
     * every module by digest on its first use here (see {@link #openWorker}). Nothing is loaded at start: a module
     * compiled by an earlier run is loaded from {@code <dataDir>/compiled} when first used.
     *
     * @param onClose closed after the scheduler: what the stores need (their Redis connection)
     */
    public static LocalScheduler openShared(SchedulerSettings settings, Path dataDir, InstantSource clock,
                                            ModuleStore store, FunctionIndex index, AutoCloseable onClose) {
        return openShared(settings, dataDir, clock, store, index, onClose, CompileListener.NONE);
    }

    /**
     * {@link #openShared(SchedulerSettings, Path, InstantSource, ModuleStore, FunctionIndex, AutoCloseable)}, telling
     * {@code onCompiled} of each real compile.
     */
    public static LocalScheduler openShared(SchedulerSettings settings, Path dataDir, InstantSource clock,
                                            ModuleStore store, FunctionIndex index, AutoCloseable onClose,
                                            CompileListener onCompiled) {
        return openShared(settings, dataDir, clock, store, Objects.requireNonNull(index, "index"), onClose,
                ModuleCompiler.chicory(), DEFAULT_LIBRARY_CAPACITY, onCompiled);
    }

    /**
     * The scheduler of a worker process: no registry ({@link #functions()} throws), only the dispatcher, whose
     * workers fetch a function's module from {@code store} by digest on its first use in this process, verify it
     * against the digest, validate it and compile it once (or load it from {@code <dataDir>/compiled}, where an
     * earlier run of this worker left it). At most {@link #DEFAULT_LIBRARY_CAPACITY} modules are kept, the least
     * recently used dropped first. A module missing from the store or not matching its digest fails the invocation
     * with {@link SchedulerException.StorageFailure}; nothing else is run instead.
     *
     * @param onClose closed after the scheduler: what the store needs (its Redis connection)
     */
    public static LocalScheduler openWorker(SchedulerSettings settings, Path dataDir, InstantSource clock,
                                            ModuleStore store, AutoCloseable onClose) {
        return openWorker(settings, dataDir, clock, store, onClose, CompileListener.NONE);
    }

    /**
     * {@link #openWorker(SchedulerSettings, Path, InstantSource, ModuleStore, AutoCloseable)}, telling
     * {@code onCompiled} of each real compile.
     */
    public static LocalScheduler openWorker(SchedulerSettings settings, Path dataDir, InstantSource clock,
                                            ModuleStore store, AutoCloseable onClose, CompileListener onCompiled) {
        return openShared(settings, dataDir, clock, store, null, onClose, ModuleCompiler.chicory(),
                DEFAULT_LIBRARY_CAPACITY, onCompiled);
    }

    /** Both of the above, with another compiler and library capacity, for tests; {@code index} null for a worker. */
    static LocalScheduler openShared(SchedulerSettings settings, Path dataDir, InstantSource clock, ModuleStore store,
                                     FunctionIndex index, AutoCloseable onClose, ModuleCompiler compiler,
                                     int capacity) {
        return openShared(settings, dataDir, clock, store, index, onClose, compiler, capacity, CompileListener.NONE);
    }

    private static LocalScheduler openShared(SchedulerSettings settings, Path dataDir, InstantSource clock,
                                             ModuleStore store, FunctionIndex index, AutoCloseable onClose,
                                             ModuleCompiler compiler, int capacity, CompileListener onCompiled) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(onClose, "onClose");
        var validator = new ModuleValidator(WasiImports.create());
        // No sweep of the compiled cache: which modules this process will be asked to run is not known at start.
        var modules = new ModuleCache(CompiledCache.open(dataDir), compiler, settings.compileThreads(),
                System::nanoTime, onCompiled);
        var library = new ModuleLibrary(store, validator, modules, capacity);
        FunctionRegistry registry = index == null ? null : new SharedFunctionRegistry(index, store, validator,
                Optional.of(library), clock, settings.compileBudgetMillis(), System::nanoTime);
        var pool = WorkerPool.byFunction(settings, function -> Optional.of(library.module(function)));
        return new LocalScheduler(registry, pool, modules, store, library, onClose);
    }

    /**
     * The registry of a gateway that dispatches to remote workers: shared metadata and module bytes, validation as
     * everywhere, nothing compiled here ({@link FunctionRegistry.Deployment#compiled()} is always false).
     */
    public static FunctionRegistry sharedRegistry(InstantSource clock, ModuleStore store, FunctionIndex index) {
        return new SharedFunctionRegistry(Objects.requireNonNull(index, "index"),
                Objects.requireNonNull(store, "store"), new ModuleValidator(WasiImports.create()), Optional.empty(),
                Objects.requireNonNull(clock, "clock"), 0, System::nanoTime);
    }

    /** @throws IllegalStateException in a worker ({@link #openWorker}), which has no registry */
    public FunctionRegistry functions() {
        if (functions == null) {
            throw new IllegalStateException("a worker has no function registry: the gateway keeps it");
        }
        return functions;
    }

    public Dispatcher dispatcher() {
        return dispatcher;
    }

    /**
     * The store this scheduler's shared functions' bytes are in ({@link #openShared}, {@link #openWorker}), for what
     * else is shared the same way (function assets); empty when the functions are in the data directory.
     */
    public Optional<ModuleStore> sharedStore() {
        return Optional.ofNullable(sharedStore);
    }

    /**
     * The worker pool's load now (threads busy, threads in all, invocations waiting), for metrics; all zero in a
     * process without workers.
     */
    public WorkerLoad load() {
        return dispatcher instanceof WorkerPool pool ? pool.load() : new WorkerLoad(0, 0, 0);
    }

    /** For tests and tools: the module cache (tiers, compile counts, the compiled cache on disk). */
    ModuleCache modules() {
        return modules;
    }

    /**
     * For tests and tools: the module of a stored function as its next call gets it, loading it now if this is
     * the first use (a data-directory registry; a worker's library otherwise).
     */
    Optional<CompiledModule> module(FunctionSpec function) {
        if (functions instanceof DiskFunctionRegistry registry) {
            return registry.module(function);
        }
        return library != null ? Optional.of(library.module(function)) : modules.find(function.digest());
    }

    /** For tests: waits until the sweep after the start has ended. */
    void awaitSweep() throws InterruptedException {
        if (sweeper != null) {
            sweeper.join();
        }
    }

    /** For tests: the modules fetched by digest (shared functions only). */
    ModuleLibrary library() {
        return library;
    }

    @Override
    public void close() {
        try {
            dispatcher.shutdown(0);
            modules.close();
        } finally {
            try {
                onClose.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "cannot close the shared stores: " + e);
            }
        }
    }
}
