package dev.sluice.scheduler;

import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link FunctionRegistry} backed by {@link FunctionStore}. A deploy does all its checking before taking the
 * write lock, and stores nothing unless everything passed. The compile it queues ({@link ModuleCache#acquire}) is
 * waited for only after the function is stored and the lock released, and at most for the compile budget.
 *
 * <p>Module references: each stored function holds one reference to its module in the {@link ModuleCache}, and a
 * deploy holds one of its own from validation until it has stored (or failed to store) its function, so a module
 * another function gives up meanwhile is not dropped under the deploy. A module whose last reference goes is
 * dropped with its queued compile and its compiled entry.
 *
 * <p>Threading: reads are lock-free on a concurrent map; writes are serialized by {@code writeLock}, which covers
 * the map, the files and the functions' module references, so the index on disk always matches the map.
 */
final class DiskFunctionRegistry implements FunctionRegistry {
    private final FunctionStore store;
    private final ModuleValidator validator;
    private final ModuleCache cache;
    private final InstantSource clock;
    private final long compileBudgetMillis;
    private final Map<Key, FunctionSpec> functions = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();
    /** Stored modules no longer accepted at start (LocalScheduler): never held in the cache, so never released. */
    private final Set<String> unloadable;

    private record Key(String tenant, FunctionName name) {}

    DiskFunctionRegistry(FunctionStore store, ModuleValidator validator, ModuleCache cache, InstantSource clock,
                         long compileBudgetMillis, List<FunctionSpec> loaded, Set<String> unloadable) {
        this.store = store;
        this.validator = validator;
        this.cache = cache;
        this.clock = clock;
        this.compileBudgetMillis = compileBudgetMillis;
        loaded.forEach(f -> functions.put(new Key(f.tenant(), f.name()), f));
        this.unloadable = Set.copyOf(unloadable);
    }

    @Override
    public Deployment deploy(DeployRequest request) {
        ModuleValidator.CheckedDeploy valid = validator.checkDeploy(request, clock);
        FunctionSpec spec = valid.spec();
        CompiledModule module = cache.acquire(spec.tenant(), spec.digest(), valid.module());
        Deployment deployment;
        try {
            deployment = DeployObserver.step(request.observer(), DeployObserver.Step.STORE,
                    () -> store(spec, request.module(), request.maxFunctions()));
        } finally {
            // The function holds its own reference now, or the deploy failed and the module may go.
            cache.release(spec.digest());
        }
        // Outside the lock: the function is already invocable (interpreted) while this deploy waits.
        boolean compiled = module.isCompiled() || DeployObserver.step(request.observer(),
                DeployObserver.Step.COMPILE, () -> module.awaitCompiled(compileBudgetMillis));
        return new Deployment(deployment.spec(), deployment.created(), compiled);
    }

    private Deployment store(FunctionSpec spec, byte[] bytes, long maxFunctions) {
        String digest = spec.digest();
        synchronized (writeLock) {
            Key key = new Key(spec.tenant(), spec.name());
            FunctionSpec previous = functions.get(key);
            if (previous == null && maxFunctions > 0) {
                long count = functions.keySet().stream().filter(k -> k.tenant().equals(spec.tenant())).count();
                if (count >= maxFunctions) {
                    deleteModuleFileIfUnreferenced(digest);
                    throw new SchedulerException.FunctionLimit("the tenant has " + count
                            + " functions, the most it may have", maxFunctions);
                }
            }
            try {
                store.writeModule(digest, bytes);
                functions.put(key, spec);
                store.save(functions.values());
            } catch (RuntimeException e) {
                if (previous == null) {
                    functions.remove(key);
                } else {
                    functions.put(key, previous);
                }
                deleteModuleFileIfUnreferenced(digest);
                throw e;
            }
            cache.retain(digest);
            if (previous != null) {
                release(previous.digest());
            }
            return new Deployment(spec, previous == null, false);
        }
    }

    @Override
    public Optional<FunctionSpec> find(String tenant, FunctionName name) {
        return Optional.ofNullable(functions.get(new Key(tenant, name)));
    }

    @Override
    public List<FunctionSpec> list(String tenant) {
        return functions.values().stream()
                .filter(f -> f.tenant().equals(tenant))
                .sorted(Comparator.comparing(f -> f.name().value()))
                .toList();
    }

    @Override
    public boolean delete(String tenant, FunctionName name) {
        synchronized (writeLock) {
            Key key = new Key(tenant, name);
            FunctionSpec removed = functions.remove(key);
            if (removed == null) {
                return false;
            }
            try {
                store.save(functions.values());
            } catch (RuntimeException e) {
                functions.put(key, removed);
                throw e;
            }
            release(removed.digest());
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
            removed.forEach(f -> functions.remove(new Key(f.tenant(), f.name())));
            try {
                store.save(functions.values());
            } catch (RuntimeException e) {
                removed.forEach(f -> functions.put(new Key(f.tenant(), f.name()), f));
                throw e;
            }
            removed.stream().map(FunctionSpec::digest).forEach(this::release);
        }
    }

    // Called with writeLock held, for a function no longer stored. Running invocations keep their module.
    private void release(String digest) {
        if (!unloadable.contains(digest)) {
            cache.release(digest);
        }
        deleteModuleFileIfUnreferenced(digest);
    }

    // Called with writeLock held. A deploy in progress rewrites the file under the lock if it needs it.
    private void deleteModuleFileIfUnreferenced(String digest) {
        if (functions.values().stream().noneMatch(f -> f.digest().equals(digest))) {
            store.deleteModule(digest);
        }
    }
}
