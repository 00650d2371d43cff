package dev.sluice.scheduler;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The modules in use, by content digest, each compiled once however many functions use it. A module is usable as
 * soon as {@link #prepare} returns (on the interpreter); its compile runs on a small pool of platform threads and
 * tiers the module up when done ({@link CompiledModule}). Compiles go through the {@link CompiledCache}, so a module
 * compiled before, in this process or an earlier one, is loaded rather than compiled.
 *
 * <p>Threading: lookups are lock-free; {@link #prepare} holds only its own digest's slot. Compiles run on
 * {@code compileThreads} daemon threads in submission order, so a huge module delays other tier-ups but never a
 * deploy or an invocation. An evicted module's compile still runs to the end (running invocations may hold it).
 */
final class ModuleCache implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ModuleCache.class.getName());

    private final ConcurrentHashMap<String, CompiledModule> modules = new ConcurrentHashMap<>();
    private final CompiledCache disk;
    private final ModuleCompiler compiler;
    private final LongSupplier nanoTime;
    private final ExecutorService pool;
    private final AtomicLong compiles = new AtomicLong();

    ModuleCache(CompiledCache disk, ModuleCompiler compiler, int compileThreads, LongSupplier nanoTime) {
        this.disk = disk;
        this.compiler = compiler;
        this.nanoTime = nanoTime;
        AtomicInteger count = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(compileThreads, compileThreads, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "sluice-compile-" + count.incrementAndGet());
                    t.setDaemon(true);
                    // Below the workers: tier-ups should not steal CPU from guests already running.
                    t.setPriority(Thread.NORM_PRIORITY - 1);
                    return t;
                });
    }

    /**
     * The module for {@code digest}: the existing one, or a new one on the interpreter with its compile queued.
     * Never waits for a compile.
     */
    CompiledModule prepare(String digest, ModuleValidator.Checked checked) {
        boolean[] created = {false};
        CompiledModule module = modules.computeIfAbsent(digest, d -> {
            created[0] = true;
            return new CompiledModule(d, checked.module(), checked.initialPages(), checked.maximumPages(),
                    checked.definedFuelGlobal());
        });
        if (created[0]) {
            pool.execute(() -> compile(module));
        }
        return module;
    }

    /** Re-adds a module evicted while a deploy that needs it was in progress. */
    void retain(CompiledModule module) {
        modules.putIfAbsent(module.digest(), module);
    }

    Optional<CompiledModule> find(String digest) {
        return Optional.ofNullable(modules.get(digest));
    }

    /** Forgets the module and its compiled form on disk. Invocations already holding it finish normally. */
    void evict(String digest) {
        CompiledModule removed = modules.remove(digest);
        if (removed != null) {
            disk.remove(removed.module().digest());
        }
    }

    /** How many modules were compiled (rather than loaded from the disk cache) by this process. */
    long compiles() {
        return compiles.get();
    }

    CompiledCache disk() {
        return disk;
    }

    /** Stops compiling; modules not compiled yet stay on the interpreter. */
    @Override
    public void close() {
        pool.shutdownNow();
    }

    private void compile(CompiledModule module) {
        long started = nanoTime.getAsLong();
        Counting cache = new Counting(disk);
        try {
            Function<Instance, Machine> factory;
            try {
                factory = compiler.compile(module.module(), cache);
            } catch (RuntimeException | LinkageError e) {
                if (!cache.hit) {
                    throw e;
                }
                // The entry was intact but Chicory could not load it: drop it and compile for real.
                disk.invalidate(module.module().digest(), "cannot be loaded (" + e + ")");
                cache = new Counting(disk);
                factory = compiler.compile(module.module(), cache);
            }
            if (!cache.hit) {
                compiles.incrementAndGet();
            }
            module.tierUp(factory);
            String how = cache.hit ? " loaded from the compiled cache in " : " compiled in ";
            long millis = TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - started);
            LOG.log(Level.DEBUG, () -> "module " + module.digest() + how + millis + " ms");
        } catch (RuntimeException | LinkageError | StackOverflowError | OutOfMemoryError e) {
            // Logged once: each module is compiled once per process.
            LOG.log(Level.WARNING, "module " + module.digest() + " cannot be compiled; it stays on the interpreter: "
                    + e);
            module.stayInterpreted();
        }
    }

    /** Remembers whether the compiler loaded the module from the cache rather than compiling it. */
    private static final class Counting implements Cache {
        private final Cache delegate;
        boolean hit;

        Counting(Cache delegate) {
            this.delegate = delegate;
        }

        @Override
        public byte[] get(String key) throws java.io.IOException {
            byte[] data = delegate.get(key);
            hit = data != null;
            return data;
        }

        @Override
        public void putIfAbsent(String key, byte[] data) throws java.io.IOException {
            delegate.putIfAbsent(key, data);
        }
    }
}
