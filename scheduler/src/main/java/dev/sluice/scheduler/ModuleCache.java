package dev.sluice.scheduler;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The modules in use, by content digest, each compiled once however many functions use it. A module is usable as
 * soon as {@link #acquire} returns (on the interpreter); its compile runs on a few platform threads and tiers the
 * module up when done ({@link CompiledModule}). Compiles go through the {@link CompiledCache}, so a module compiled
 * before, in this process or an earlier one, is loaded rather than compiled.
 *
 * <p>Modules are reference counted: each function using a module holds one reference, and so does each deploy in
 * progress from {@link #acquire} until it has stored its function (so a module about to be referenced is never
 * dropped under it). When the last reference goes the module is dropped: a compile still queued is cancelled, a
 * compile running finishes but its result is not kept, and its compiled entry on disk is deleted. Compile work is
 * therefore bounded by the modules in use: a module replaced by a newer deploy before its compile starts is never
 * compiled.
 *
 * <p>Fairness: compiles are queued per tenant (the tenant whose deploy first acquired the module). A free compile
 * thread takes the tenant served least recently, and one tenant runs at most all compile threads but one (at least
 * one), so a tenant deploying many large modules delays another tenant's tier-up by at most one compile per busy
 * tenant, never by its whole backlog, and with two or more compile threads not at all.
 *
 * <p>Threading: {@link #find} is lock-free; reference counts, the queue and the deletion of compiled entries change
 * under one lock (deploys are rare and these steps short); compiling and loading run outside it.
 */
final class ModuleCache implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ModuleCache.class.getName());

    /** In use: what invocations look up. Written under {@code lock}, read without it. */
    private final ConcurrentHashMap<String, CompiledModule> published = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    /** Every module held or still compiling, by digest. Guarded by {@code lock}. */
    private final Map<String, Entry> entries = new HashMap<>();
    /** Compiles not started, per tenant, in order of arrival. Guarded by {@code lock}. */
    private final LinkedHashMap<String, ArrayDeque<Entry>> queued = new LinkedHashMap<>();
    /**
     * When each tenant with compiles queued or running last got a compile thread (a turn number); tenants without
     * one have not been served yet in their current busy period. Guarded by {@code lock}.
     */
    private final Map<String, Long> lastServed = new HashMap<>();
    /** Compiles running per tenant. Guarded by {@code lock}. */
    private final Map<String, Integer> running = new HashMap<>();
    private long turns; // guarded by lock
    private final CompiledCache disk;
    private final ModuleCompiler compiler;
    private final LongSupplier nanoTime;
    private final CompileListener onCompiled;
    private final List<Thread> threads = new ArrayList<>();
    /** Compiles one tenant may run at once: all threads but one (at least one), so others always find one. */
    private final int runningPerTenant;
    private final AtomicLong compiles = new AtomicLong();
    private final AtomicLong superseded = new AtomicLong();
    private boolean closed; // guarded by lock

    private enum State { QUEUED, COMPILING, DONE }

    /** A module and who holds it. Fields guarded by {@code lock}. */
    private static final class Entry {
        final CompiledModule module;
        final String tenant;
        /** Chicory's digest of the instrumented module: the compiled entry's key on disk. */
        final String compiledKey;
        int references;
        State state = State.QUEUED;

        Entry(CompiledModule module, String tenant) {
            this.module = module;
            this.tenant = tenant;
            this.compiledKey = module.module().digest();
        }
    }

    ModuleCache(CompiledCache disk, ModuleCompiler compiler, int compileThreads, LongSupplier nanoTime) {
        this(disk, compiler, compileThreads, nanoTime, CompileListener.NONE);
    }

    ModuleCache(CompiledCache disk, ModuleCompiler compiler, int compileThreads, LongSupplier nanoTime,
                CompileListener onCompiled) {
        this.onCompiled = Objects.requireNonNull(onCompiled, "onCompiled");
        this.disk = disk;
        this.compiler = compiler;
        this.nanoTime = nanoTime;
        this.runningPerTenant = Math.max(1, compileThreads - 1);
        for (int i = 1; i <= compileThreads; i++) {
            Thread t = new Thread(this::compileLoop, "sluice-compile-" + i);
            t.setDaemon(true);
            // Below the workers: tier-ups should not steal CPU from guests already running.
            t.setPriority(Thread.NORM_PRIORITY - 1);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    /**
     * Takes a reference to the module of {@code digest}: the existing one, or a new one on the interpreter with its
     * compile queued under {@code tenant}. Never waits for a compile. Pair with {@link #release}.
     */
    CompiledModule acquire(String tenant, String digest, ModuleValidator.Checked checked) {
        synchronized (lock) {
            Entry entry = entries.get(digest);
            if (entry == null) {
                entry = new Entry(new CompiledModule(digest, checked.module(), checked.initialPages(),
                        checked.maximumPages(), checked.definedFuelGlobal()), tenant);
                entries.put(digest, entry);
                queued.computeIfAbsent(tenant, t -> new ArrayDeque<>()).add(entry);
                lock.notifyAll();
            }
            if (entry.references++ == 0) {
                // New, or dropped while its compile was running and wanted again: that compile's result is kept.
                published.put(digest, entry.module);
            }
            return entry.module;
        }
    }

    /** Takes one more reference to a module already held (a function now stores the digest a deploy acquired). */
    void retain(String digest) {
        synchronized (lock) {
            Entry entry = entries.get(digest);
            if (entry == null || entry.references == 0) {
                throw new IllegalStateException("module " + digest + " is not held");
            }
            entry.references++;
        }
    }

    /**
     * Gives back one reference. The last one drops the module: its queued compile is cancelled, and its compiled entry
     * on disk deleted (at once, or when a running compile ends). Invocations already holding it finish normally.
     */
    void release(String digest) {
        synchronized (lock) {
            Entry entry = entries.get(digest);
            if (entry == null || entry.references == 0) {
                throw new IllegalStateException("module " + digest + " is not held");
            }
            if (--entry.references > 0) {
                return;
            }
            published.remove(digest);
            switch (entry.state) {
                case QUEUED -> {
                    ArrayDeque<Entry> tenantQueue = queued.get(entry.tenant);
                    tenantQueue.remove(entry);
                    if (tenantQueue.isEmpty()) {
                        queued.remove(entry.tenant);
                        forgetIfIdle(entry.tenant);
                    }
                    superseded.incrementAndGet();
                    entries.remove(digest);
                    deleteCompiledIfUnused(entry);
                    entry.module.stayInterpreted();
                }
                case COMPILING -> { } // the compile thread drops it when done, unless it is wanted again by then
                case DONE -> {
                    entries.remove(digest);
                    deleteCompiledIfUnused(entry);
                }
            }
        }
    }

    /** The compiled keys (Chicory digests) of every module held or still compiling now. */
    java.util.Set<String> compiledKeys() {
        synchronized (lock) {
            return entries.values().stream().map(e -> e.compiledKey).collect(java.util.stream.Collectors.toSet());
        }
    }

    Optional<CompiledModule> find(String digest) {
        return Optional.ofNullable(published.get(digest));
    }

    /**
     * Whether the module of {@code digest} runs compiled now (false while interpreted, or not held); empty when this
     * cache has no compile threads and so never compiles (a gateway's registry).
     */
    Optional<Boolean> compiled(String digest) {
        if (threads.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(find(digest).map(CompiledModule::isCompiled).orElse(false));
    }

    /** How many modules were compiled (rather than loaded from the disk cache) by this process. */
    long compiles() {
        return compiles.get();
    }

    /** How many queued compiles were cancelled because their module was no longer used when its turn came. */
    long superseded() {
        return superseded.get();
    }

    CompiledCache disk() {
        return disk;
    }

    /** For tests and tools: waits at most {@code millis} until no compile is queued or running. */
    boolean awaitIdle(long millis) throws InterruptedException {
        long deadline = nanoTime.getAsLong() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (lock) {
            while (!queued.isEmpty() || !running.isEmpty()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - nanoTime.getAsLong());
                if (left <= 0) {
                    return false;
                }
                lock.wait(left);
            }
            return true;
        }
    }

    /** Stops compiling; modules not compiled yet stay on the interpreter. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        threads.forEach(Thread::interrupt);
    }

    // Called with lock held. Another module (another digest) may instrument to the same compiled key.
    private void deleteCompiledIfUnused(Entry dropped) {
        boolean shared = entries.values().stream().anyMatch(e -> e.compiledKey.equals(dropped.compiledKey));
        if (!shared) {
            disk.remove(dropped.compiledKey);
        }
    }

    private void compileLoop() {
        while (true) {
            Entry entry = null;
            synchronized (lock) {
                while (!closed && (entry = next()) == null) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        // close() interrupts after setting closed; anything else is not ours to stop us
                    }
                }
                if (closed) {
                    return;
                }
                entry.state = State.COMPILING;
            }
            Optional<Function<Instance, Machine>> factory = Optional.empty();
            try {
                factory = compile(entry.module);
            } finally {
                finished(entry, factory);
            }
        }
    }

    private void finished(Entry entry, Optional<Function<Instance, Machine>> factory) {
        synchronized (lock) {
            entry.state = State.DONE;
            if (running.merge(entry.tenant, -1, Integer::sum) == 0) {
                running.remove(entry.tenant);
                forgetIfIdle(entry.tenant);
            }
            lock.notifyAll(); // the tenant may be under its cap again
            if (entry.references == 0) {
                // Replaced or deleted while compiling: nothing uses the result, so it is not kept.
                entries.remove(entry.module.digest());
                deleteCompiledIfUnused(entry);
                entry.module.stayInterpreted();
            } else if (factory.isPresent()) {
                entry.module.tierUp(factory.get());
            } else {
                entry.module.stayInterpreted();
            }
        }
    }

    /**
     * Called with lock held: the oldest compile of the tenant served least recently among those under their cap of
     * running compiles, now counted as running; null when there is none.
     */
    private Entry next() {
        String tenant = null;
        long oldest = Long.MAX_VALUE;
        for (String candidate : queued.keySet()) {
            long served = lastServed.getOrDefault(candidate, Long.MIN_VALUE);
            boolean underCap = running.getOrDefault(candidate, 0) < runningPerTenant;
            if (underCap && (tenant == null || served < oldest)) {
                tenant = candidate;
                oldest = served;
            }
        }
        if (tenant == null) {
            return null;
        }
        ArrayDeque<Entry> tenantQueue = queued.get(tenant);
        Entry entry = tenantQueue.poll();
        if (tenantQueue.isEmpty()) {
            queued.remove(tenant);
        }
        lastServed.put(tenant, ++turns);
        running.merge(tenant, 1, Integer::sum);
        return entry;
    }

    // Called with lock held: a tenant with nothing queued or running starts its next busy period unserved.
    private void forgetIfIdle(String tenant) {
        if (!queued.containsKey(tenant) && !running.containsKey(tenant)) {
            lastServed.remove(tenant);
        }
    }

    /** The compiled machine factory, or empty when the module cannot be compiled (it stays interpreted). */
    private Optional<Function<Instance, Machine>> compile(CompiledModule module) {
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
            long nanos = nanoTime.getAsLong() - started;
            if (!cache.hit) {
                compiles.incrementAndGet();
                onCompiled.compiled(nanos);
            }
            String how = cache.hit ? " loaded from the compiled cache in " : " compiled in ";
            long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
            LOG.log(Level.DEBUG, () -> "module " + module.digest() + how + millis + " ms");
            return Optional.of(factory);
        } catch (RuntimeException | LinkageError | StackOverflowError | OutOfMemoryError e) {
            // Logged once: each module is compiled once per process.
            LOG.log(Level.WARNING, "module " + module.digest() + " cannot be compiled; it stays on the interpreter: "
                    + e);
            return Optional.empty();
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
