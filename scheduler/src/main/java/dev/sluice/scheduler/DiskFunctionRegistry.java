package dev.sluice.scheduler;

import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.assets.AttachedAssets;
import java.lang.System.Logger.Level;
import java.nio.file.attribute.FileTime;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The {@link FunctionRegistry} backed by {@link FunctionStore}. A deploy does all its checking before taking the
 * write lock, and stores nothing unless everything passed. The compile it queues ({@link ModuleCache#acquire}) is
 * waited for only after the function is stored and the lock released, and at most for the compile budget.
 *
 * <p>Lazy modules: opening reads the index only. A stored function's module is loaded at its first call
 * ({@link #module}): its file is read and checked against the digest, then the validated, instrumented form comes
 * from the {@link InstrumentedCache} (one parse) or, when that has no valid entry for this build, from validating
 * the module again (and caching the result). A module the current rules refuse is found then and answers that
 * call, and every later one, with {@link ModuleRejected} until the function is deployed again. Concurrent first
 * calls of one module load it once.
 *
 * <p>Module references: the registry holds one {@link ModuleCache} reference per module that a stored function uses
 * and that has been loaded (by a first call, or by the deploy that stored it), and a deploy holds one of its own
 * from validation until it has stored (or failed to store) its function, so a module another function gives up
 * meanwhile is not dropped under the deploy. A module whose last function goes is released (its queued compile and
 * compiled entry go with it) and its file and cached form deleted.
 *
 * <p>Every change is one record appended to the store's journal ({@link FunctionStore}), and the per-tenant maps and
 * per-digest reference counts answer the limit and "is this module still used" questions, so a deploy or delete
 * costs the same however many functions are stored.
 *
 * <p>Threading: reads are lock-free on concurrent maps; writes are serialized by {@code writeLock}, which covers the
 * maps, the counts, the files and the registry's module references, so the index on disk always matches the map.
 * Loading a module runs outside the lock and takes it only to take the reference.
 */
final class DiskFunctionRegistry implements FunctionRegistry {
    private static final System.Logger LOG = System.getLogger(DiskFunctionRegistry.class.getName());

    private final FunctionStore store;
    private final ModuleValidator validator;
    private final ModuleCache cache;
    private final InstrumentedCache instrumented;
    private final InstantSource clock;
    private final long compileBudgetMillis;
    private final Map<Key, FunctionSpec> functions = new ConcurrentHashMap<>();
    /** The same functions by tenant, in name order. Written under {@code writeLock}. */
    private final Map<String, ConcurrentSkipListMap<String, FunctionSpec>> byTenant = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();
    /** Functions per module digest; a digest is here while at least one function uses it. Guarded by writeLock. */
    private final Map<String, Integer> references = new HashMap<>();
    /** Digests of which the registry holds its one {@link ModuleCache} reference. Guarded by writeLock. */
    private final Set<String> loaded = new HashSet<>();
    /** Stored modules the current rules refuse, found at a first call; forgotten with their last function. */
    private final Map<String, ModuleRejected> rejected = new ConcurrentHashMap<>();
    /** First calls loading a module now, by digest: the others wait for the same outcome. */
    private final Map<String, CompletableFuture<Optional<CompiledModule>>> loading = new ConcurrentHashMap<>();
    private final AtomicLong validations = new AtomicLong();
    private final AtomicLong cacheLoads = new AtomicLong();

    private record Key(String tenant, FunctionName name) {}

    DiskFunctionRegistry(FunctionStore store, ModuleValidator validator, ModuleCache cache,
                         InstrumentedCache instrumented, InstantSource clock, long compileBudgetMillis,
                         List<FunctionSpec> stored) {
        this.store = store;
        this.validator = validator;
        this.cache = cache;
        this.instrumented = instrumented;
        this.clock = clock;
        this.compileBudgetMillis = compileBudgetMillis;
        synchronized (writeLock) {
            stored.forEach(this::put);
        }
    }

    @Override
    public Deployment deploy(DeployRequest request) {
        ModuleValidator.CheckedDeploy valid = validator.checkDeploy(request, clock);
        FunctionSpec spec = valid.spec();
        CompiledModule module = cache.acquire(spec.tenant(), spec.digest(), valid.module());
        Deployment deployment;
        try {
            deployment = DeployObserver.step(request.observer(), DeployObserver.Step.STORE,
                    () -> store(spec, valid.module(), request.module(), request.maxFunctions()));
        } finally {
            // The registry holds its own reference now, or the deploy failed and the module may go.
            cache.release(spec.digest());
        }
        // Outside the lock: the function is already invocable (interpreted) while this deploy waits.
        boolean compiled = module.isCompiled() || DeployObserver.step(request.observer(),
                DeployObserver.Step.COMPILE, () -> module.awaitCompiled(compileBudgetMillis));
        return new Deployment(deployment.spec(), deployment.created(), compiled);
    }

    /** From the module cache: empty on a registry without compile threads (a gateway's). */
    @Override
    public Optional<Boolean> compiled(FunctionSpec function) {
        return cache.compiled(function.digest());
    }

    private Deployment store(FunctionSpec deployed, ModuleValidator.Checked checked, byte[] bytes,
                             long maxFunctions) {
        String digest = deployed.digest();
        synchronized (writeLock) {
            Key key = new Key(deployed.tenant(), deployed.name());
            FunctionSpec previous = functions.get(key);
            // A new module keeps the function's assets: they are not part of it (attach changes them).
            FunctionSpec spec = previous == null ? deployed : deployed.withAssets(previous.assets());
            if (previous == null && maxFunctions > 0) {
                var tenantFunctions = byTenant.get(spec.tenant());
                long count = tenantFunctions == null ? 0 : tenantFunctions.size();
                if (count >= maxFunctions) {
                    deleteModuleFileIfUnreferenced(digest);
                    throw new SchedulerException.FunctionLimit("the tenant has " + count
                            + " functions, the most it may have", maxFunctions);
                }
            }
            try {
                store.writeModule(digest, bytes);
                put(spec);
                store.put(spec);
            } catch (RuntimeException e) {
                remove(spec);
                if (previous != null) {
                    put(previous);
                }
                deleteModuleFileIfUnreferenced(digest);
                throw e;
            }
            // So the first call after a restart parses this instead of validating again.
            instrumented.put(checked.cacheEntry(digest));
            rejected.remove(digest); // these rules accept it after all (only if they changed in between)
            if (loaded.add(digest)) {
                cache.retain(digest);
            }
            if (previous != null) {
                dropReference(previous);
            }
            compactIfDue();
            return new Deployment(spec, previous == null, false);
        }
    }

    // Called with writeLock held, after a change: once in a while (amortized, a constant cost per change) the
    // journal is folded into a new snapshot, so it never grows without bound.
    private void compactIfDue() {
        if (store.wantsCompaction()) {
            store.compactQuietly(functions.values());
        }
    }

    /** Folds the journal into the snapshot, so a clean stop leaves one file to read. */
    void close() {
        synchronized (writeLock) {
            if (store.hasJournal()) {
                store.compactQuietly(functions.values());
            }
            store.close();
        }
    }

    /**
     * The module of a stored function, loaded on its first call (see the class comment); empty when the function's
     * module is no longer stored (deleted or replaced meanwhile).
     *
     * @throws ModuleRejected when the current rules refuse the stored module
     * @throws StorageFailure naming the file when the module file is missing, unreadable or not the digest's bytes
     */
    Optional<CompiledModule> module(FunctionSpec function) {
        String digest = function.digest();
        Optional<CompiledModule> held = cache.find(digest);
        if (held.isPresent()) {
            return held;
        }
        var mine = new CompletableFuture<Optional<CompiledModule>>();
        var running = loading.putIfAbsent(digest, mine);
        if (running != null) {
            return join(running);
        }
        try {
            // Looked at again now that this call owns the load: another may have finished it just before.
            held = cache.find(digest);
            Optional<CompiledModule> module = held.isPresent() ? held : load(function);
            mine.complete(module);
            return module;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            loading.remove(digest, mine);
        }
    }

    private Optional<CompiledModule> load(FunctionSpec function) {
        String digest = function.digest();
        ModuleRejected rejection = rejected.get(digest);
        if (rejection != null) {
            throw noLongerAccepted(rejection);
        }
        ModuleValidator.Checked checked;
        try {
            checked = checked(function, store.readModule(digest));
        } catch (StorageFailure e) {
            if (!stored(digest)) {
                return Optional.empty(); // deleted while this call read it
            }
            throw e;
        }
        synchronized (writeLock) {
            if (!references.containsKey(digest)) {
                return Optional.empty();
            }
            if (loaded.add(digest)) {
                cache.acquire(function.tenant(), digest, checked);
            }
            return cache.find(digest);
        }
    }

    /** The bytes as validated and instrumented: from the cache when it has them, else by the validator. */
    private ModuleValidator.Checked checked(FunctionSpec function, byte[] bytes) {
        String digest = function.digest();
        Optional<InstrumentedCache.Entry> entry = instrumented.get(digest);
        if (entry.isPresent()) {
            try {
                ModuleValidator.Checked checked = ModuleValidator.fromCache(entry.get());
                cacheLoads.incrementAndGet();
                return checked;
            } catch (IllegalArgumentException e) {
                LOG.log(Level.WARNING, "cannot use the validated form of " + digest + ", validating it again: "
                        + e.getMessage());
                instrumented.delete(digest);
            }
        }
        ModuleValidator.Checked checked;
        try {
            validations.incrementAndGet();
            checked = validator.check(bytes);
        } catch (ModuleRejected e) {
            // It passed these checks when deployed, so the rules or the runtime changed under it (a new cap). One
            // tenant's old module must not keep the others down: its functions stay stored, listed and deletable,
            // and answer invocations with the rejection until the tenant deploys them again.
            if (rejected.putIfAbsent(digest, e) == null) {
                LOG.log(Level.WARNING, "stored module {0} is no longer accepted, its functions will not run until "
                        + "deployed again ({1}): {2}", store.moduleFile(digest), functionsUsing(digest),
                        e.getMessage());
            }
            throw noLongerAccepted(e);
        }
        instrumented.put(checked.cacheEntry(digest));
        return checked;
    }

    private static ModuleRejected noLongerAccepted(ModuleRejected rejection) {
        return new ModuleRejected(rejection.reason(), "the function's stored module is no longer accepted ("
                + rejection.getMessage() + "); deploy the function again with a module that is");
    }

    private String functionsUsing(String digest) {
        return functions.values().stream().filter(f -> f.digest().equals(digest))
                .map(f -> f.tenant() + "/" + f.name().value()).sorted().collect(Collectors.joining(", "));
    }

    private boolean stored(String digest) {
        synchronized (writeLock) {
            return references.containsKey(digest);
        }
    }

    /** Modules validated (rather than parsed from the {@link InstrumentedCache}) since the start: for tests. */
    long validations() {
        return validations.get();
    }

    /** Modules loaded from the {@link InstrumentedCache}: for tests. */
    long cacheLoads() {
        return cacheLoads.get();
    }

    InstrumentedCache instrumented() {
        return instrumented;
    }

    /** The smallest WASI command: {@code (module (func (export "_start")))}. */
    private static final byte[] SMALLEST_COMMAND = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
            0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00,
            0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b};

    /**
     * Loads and initializes the classes a first call needs to load a module (scan, parser, instrumenter), by
     * validating a module of a few bytes: the start no longer validates every stored module, which used to do this
     * as a side effect, and the first call of the first function should not pay for it. A few milliseconds of one
     * background thread, whatever the number of functions.
     */
    void warmUp() {
        ModuleValidator.Checked checked = validator.check(SMALLEST_COMMAND);
        ModuleValidator.fromCache(checked.cacheEntry(Digests.sha256(SMALLEST_COMMAND)));
    }

    /**
     * Deletes what no stored function uses any more, left by a crash between writing the index and deleting a file
     * or by an older version: module files, cached validated forms, and compiled entries. Runs in the background
     * after the start; each module file is checked and deleted under the write lock, so a deploy of the same bytes
     * never loses its file. Compiled entries are swept only when every stored module's compiled key is known from
     * its cached form (nothing is loaded for it); entries of modules held now, and any written since the sweep
     * began, are kept.
     */
    void sweep(CompiledCache disk) {
        FileTime started = FileTime.fromMillis(System.currentTimeMillis() - 1_000); // coarse file clocks
        for (String digest : store.modules().digests()) {
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            synchronized (writeLock) {
                if (!references.containsKey(digest)) {
                    store.deleteModule(digest);
                }
            }
        }
        instrumented.sweep(digest -> !stored(digest));
        List<String> digests;
        synchronized (writeLock) {
            digests = new ArrayList<>(references.keySet());
        }
        Set<String> keep = new HashSet<>();
        for (String digest : digests) {
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            Optional<String> key = rejected.containsKey(digest) ? Optional.empty() : instrumented.compiledKey(digest);
            if (key.isEmpty()) {
                if (rejected.containsKey(digest)) {
                    continue; // refused by these rules: never compiled
                }
                if (stored(digest)) {
                    LOG.log(Level.DEBUG, "compiled entries not swept: module " + digest + " is not loaded yet");
                    return;
                }
                continue;
            }
            keep.add(key.get());
        }
        keep.addAll(cache.compiledKeys());
        disk.sweep(keep, started);
    }

    @Override
    public Optional<FunctionSpec> find(String tenant, FunctionName name) {
        return Optional.ofNullable(functions.get(new Key(tenant, name)));
    }

    @Override
    public List<FunctionSpec> list(String tenant) {
        var tenantFunctions = byTenant.get(tenant);
        return tenantFunctions == null ? List.of() : List.copyOf(tenantFunctions.values());
    }

    @Override
    public Optional<AssetsChange> attach(String tenant, FunctionName name, Optional<AttachedAssets> assets) {
        return attach(tenant, name, assets, false);
    }

    /** Trees stay in the data directory's {@code assets}: nothing to store, {@code archive} is never asked. */
    @Override
    public Optional<AssetsChange> attach(String tenant, FunctionName name, AttachedAssets assets,
                                         java.util.function.Supplier<byte[]> archive, boolean onlyWhenNone) {
        return attach(tenant, name, Optional.of(assets), onlyWhenNone);
    }

    private Optional<AssetsChange> attach(String tenant, FunctionName name, Optional<AttachedAssets> assets,
                                          boolean onlyWhenNone) {
        synchronized (writeLock) {
            FunctionSpec before = functions.get(new Key(tenant, name));
            if (before == null) {
                return Optional.empty();
            }
            if (onlyWhenNone && before.assets().isPresent()) {
                return Optional.of(new AssetsChange(before, before));
            }
            FunctionSpec after = before.withAssets(assets);
            put(after);
            try {
                store.put(after);
            } catch (RuntimeException e) {
                put(before);
                throw e;
            }
            compactIfDue();
            return Optional.of(new AssetsChange(before, after));
        }
    }

    @Override
    public boolean delete(String tenant, FunctionName name) {
        synchronized (writeLock) {
            FunctionSpec removed = functions.get(new Key(tenant, name));
            if (removed == null) {
                return false;
            }
            remove(removed);
            try {
                store.delete(tenant, name);
            } catch (RuntimeException e) {
                put(removed);
                throw e;
            }
            dropReference(removed);
            compactIfDue();
            return true;
        }
    }

    @Override
    public void deleteAll(String tenant) {
        synchronized (writeLock) {
            List<FunctionSpec> removed = list(tenant);
            if (removed.isEmpty()) {
                return;
            }
            removed.forEach(this::remove);
            try {
                store.deleteTenant(tenant);
            } catch (RuntimeException e) {
                removed.forEach(this::put);
                throw e;
            }
            removed.forEach(this::dropReference);
            compactIfDue();
        }
    }

    // Called with writeLock held: the function is in the maps and counts one reference to its digest.
    private void put(FunctionSpec spec) {
        FunctionSpec previous = functions.put(new Key(spec.tenant(), spec.name()), spec);
        byTenant.computeIfAbsent(spec.tenant(), t -> new ConcurrentSkipListMap<>())
                .put(spec.name().value(), spec);
        if (previous != null) {
            unreference(previous.digest());
        }
        references.merge(spec.digest(), 1, Integer::sum);
    }

    // Called with writeLock held: the reverse of put, when spec is what is stored under its key.
    private void remove(FunctionSpec spec) {
        Key key = new Key(spec.tenant(), spec.name());
        if (!spec.equals(functions.get(key))) {
            return;
        }
        functions.remove(key);
        var tenantFunctions = byTenant.get(spec.tenant());
        tenantFunctions.remove(spec.name().value());
        if (tenantFunctions.isEmpty()) {
            byTenant.remove(spec.tenant());
        }
        unreference(spec.digest());
    }

    private void unreference(String digest) {
        references.computeIfPresent(digest, (d, n) -> n == 1 ? null : n - 1);
    }

    // Called with writeLock held, for a function no longer stored (already out of the maps). Running invocations
    // keep their module.
    private void dropReference(FunctionSpec gone) {
        String digest = gone.digest();
        if (references.containsKey(digest)) {
            return;
        }
        if (loaded.remove(digest)) {
            cache.release(digest);
        }
        rejected.remove(digest);
        store.deleteModule(digest);
        instrumented.delete(digest);
    }

    // Called with writeLock held. A deploy in progress rewrites the file under the lock if it needs it.
    private void deleteModuleFileIfUnreferenced(String digest) {
        if (!references.containsKey(digest)) {
            store.deleteModule(digest);
        }
    }

    private static Optional<CompiledModule> join(CompletableFuture<Optional<CompiledModule>> load) {
        try {
            return load.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException.Overloaded("interrupted while the module was being loaded");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
