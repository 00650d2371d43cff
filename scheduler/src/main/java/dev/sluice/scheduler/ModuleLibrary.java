package dev.sluice.scheduler;

import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.shared.ModuleStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The modules a process runs when functions are shared: fetched from the {@link ModuleStore} by digest on first use,
 * verified against the digest, validated, and held in the {@link ModuleCache} (so compiled once per process, and
 * loaded rather than compiled when the compiled cache on disk has it from an earlier run).
 *
 * <p>Concurrent first uses of one digest fetch and validate once: the first caller does the work on its own thread,
 * the others wait for its outcome. A failure (missing or corrupt bytes, Redis away, a module no longer accepted) is
 * not remembered: the next use tries again.
 *
 * <p>Bounded: at most {@code capacity} modules are held; using one more drops the least recently used, giving back
 * its module cache reference (its compiled entry goes with it; invocations running it finish normally). A dropped
 * module is fetched again on its next use.
 *
 * <p>Threading: the map of modules is guarded by {@code this}; fetching, validating and compiling run outside it.
 */
final class ModuleLibrary {
    private final ModuleStore store;
    private final ModuleValidator validator;
    private final ModuleCache cache;
    private final int capacity;
    private final AtomicLong fetches = new AtomicLong();
    /** Access order: the eldest entry is the least recently used. Guarded by {@code this}. */
    private final LinkedHashMap<String, CompletableFuture<CompiledModule>> modules =
            new LinkedHashMap<>(16, 0.75f, true);

    ModuleLibrary(ModuleStore store, ModuleValidator validator, ModuleCache cache, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("module-library capacity: " + capacity + " (expected: > 0)");
        }
        this.store = store;
        this.validator = validator;
        this.cache = cache;
        this.capacity = capacity;
    }

    /**
     * The function's module, fetched and prepared on first use (it runs on the interpreter until compiled).
     *
     * @throws StorageFailure                       when the store has no bytes for the digest, or bytes that do not
     *                                              match it, or cannot be read
     * @throws SchedulerException.ModuleRejected    when the stored module no longer passes validation
     */
    CompiledModule module(FunctionSpec function) {
        String digest = function.digest();
        CompletableFuture<CompiledModule> mine = new CompletableFuture<>();
        CompletableFuture<CompiledModule> existing;
        synchronized (this) {
            existing = modules.putIfAbsent(digest, mine);
            if (existing != null) {
                modules.get(digest); // counts as a use
            }
        }
        if (existing != null) {
            return join(existing);
        }
        try {
            ModuleValidator.Checked checked = validator.check(fetch(function));
            mine.complete(cache.acquire(function.tenant(), digest, checked));
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                modules.remove(digest, mine);
            }
            mine.completeExceptionally(e);
            throw e;
        }
        evictBeyondCapacity();
        return join(mine);
    }

    /** Holds a module a deploy in this process has just validated, so its first invocation needs no fetch. */
    CompiledModule add(String tenant, String digest, ModuleValidator.Checked checked) {
        CompiledModule module = cache.acquire(tenant, digest, checked);
        boolean kept;
        synchronized (this) {
            kept = modules.putIfAbsent(digest, CompletableFuture.completedFuture(module)) == null;
        }
        if (!kept) {
            cache.release(digest); // already held (or being fetched): that entry's reference is enough
        }
        evictBeyondCapacity();
        return module;
    }

    /** Drops the module now (its function was deleted here); a later use fetches it again. */
    void forget(String digest) {
        CompletableFuture<CompiledModule> dropped;
        synchronized (this) {
            dropped = modules.get(digest);
            if (dropped == null || !dropped.isDone()) {
                return; // a fetch in flight finishes and is evicted in time like any other
            }
            modules.remove(digest);
        }
        releaseQuietly(digest, dropped);
    }

    /** Whether the module of {@code digest} runs compiled in this process now ({@link ModuleCache#compiled}). */
    java.util.Optional<Boolean> compiled(String digest) {
        return cache.compiled(digest);
    }

    /** Modules fetched from the store by this process. */
    long fetches() {
        return fetches.get();
    }

    synchronized int size() {
        return modules.size();
    }

    private byte[] fetch(FunctionSpec function) {
        String digest = function.digest();
        fetches.incrementAndGet();
        byte[] bytes = store.get(digest).orElseThrow(() -> new StorageFailure("module " + digest + " of function "
                + function.tenant() + "/" + function.name().value() + " is missing from the shared module store",
                null));
        String actual = Digests.sha256(bytes);
        if (!actual.equals(digest)) {
            // Never run bytes other than the ones deployed: a corrupt or tampered blob is refused, not executed.
            throw new StorageFailure("module " + digest + " in the shared module store is corrupt: its digest is "
                    + actual, null);
        }
        return bytes;
    }

    private void evictBeyondCapacity() {
        List<Map.Entry<String, CompletableFuture<CompiledModule>>> evicted = new ArrayList<>();
        synchronized (this) {
            var it = modules.entrySet().iterator();
            int over = modules.size() - capacity;
            while (over > 0 && it.hasNext()) {
                var eldest = it.next();
                if (eldest.getValue().isDone()) { // a fetch in flight is not evictable until it is done
                    it.remove();
                    evicted.add(eldest);
                    over--;
                }
            }
        }
        evicted.forEach(e -> releaseQuietly(e.getKey(), e.getValue()));
    }

    private void releaseQuietly(String digest, CompletableFuture<CompiledModule> entry) {
        if (!entry.isCompletedExceptionally()) {
            cache.release(digest);
        }
    }

    private static CompiledModule join(CompletableFuture<CompiledModule> module) {
        try {
            return module.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException.Overloaded("interrupted while the module was being fetched");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new CompletionException(e.getCause());
        }
    }
}
