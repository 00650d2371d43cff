package dev.sluice.scheduler;

import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.shared.FunctionIndex;
import dev.sluice.scheduler.shared.ModuleStore;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The {@link FunctionRegistry} shared by every gateway and worker: metadata in a {@link FunctionIndex}, module bytes
 * in a {@link ModuleStore}. A deploy validates exactly as {@link DiskFunctionRegistry} does, before anything is
 * stored, so a rejected module leaves no trace; then it reserves the digest in the index, stores the bytes, and
 * commits the function (the tenant's function limit is checked atomically there). Module bytes no function
 * references any more, in any tenant, are deleted by whichever process dropped the last reference. Function asset
 * trees (their canonical archives) live in the same store the same way: referenced by each record naming them,
 * reserved, stored and attached by an upload, deleted with their last reference.
 *
 * <p>With a {@link ModuleLibrary} (this process runs invocations too) a deploy hands its validated module to the
 * library and waits for its compile up to the compile budget, as the disk registry does; without one (a gateway
 * that only dispatches) nothing is compiled here and {@link Deployment#compiled()} is false.
 *
 * <p>Reads: {@link #find} (every invocation) reads the index at most every {@link #FRESH_NANOS} per function and
 * falls back to its last read while the index cannot be read; {@link #list} always reads the index.
 *
 * <p>Deleting all of a tenant's functions (the tenant is being deleted) leaves a tombstone in the index: a deploy
 * for it validated before the deletion is refused at its commit ({@link SchedulerException.InvalidInput}) and leaves
 * neither function nor module behind.
 *
 * <p>Threading: every write is one atomic index operation; the read cache is a synchronized access-ordered map
 * (each operation on it is a few hash lookups, never a Redis call under its lock).
 */
final class SharedFunctionRegistry implements FunctionRegistry {
    private static final System.Logger LOG = System.getLogger(SharedFunctionRegistry.class.getName());
    /** A deploy's reservation outlives any deploy that is still alive (storing a module is one bounded command). */
    static final Duration RESERVATION = Duration.ofMinutes(5);
    /** How long a deploy waits for another process to finish deleting the same module's old bytes. */
    private static final long RESERVE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How many times a deploy stores its module and commits before it gives up on reservations that expire. */
    static final int COMMIT_ATTEMPTS = 3;
    /**
     * How long a read of a function serves {@link #find} before it is read again: invocations of a hot function cost
     * one index read per quarter second, and a change made elsewhere is seen here well within a second.
     */
    static final long FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** Functions whose last read {@link #find} keeps (least recently found dropped first): a few MB at most. */
    static final int MAX_READS = 100_000;

    private final FunctionIndex index;
    private final ModuleStore store;
    private final ModuleValidator validator;
    private final Optional<ModuleLibrary> library;
    private final InstantSource clock;
    private final long compileBudgetMillis;
    private final LongSupplier nanoTime;
    /**
     * What {@link #find} last read from the index, per existing function; see {@link #FRESH_NANOS}. Least recently
     * found first, bounded: a tenant calling names it never deployed adds nothing (misses are not kept), and one
     * with more functions than fit only pushes out the coldest entries, never every tenant's at once.
     */
    private final Map<Key, Read> reads;

    private record Key(String tenant, FunctionName name) {}

    private record Read(FunctionSpec spec, long atNanos) {}

    SharedFunctionRegistry(FunctionIndex index, ModuleStore store, ModuleValidator validator,
                           Optional<ModuleLibrary> library, InstantSource clock, long compileBudgetMillis,
                           LongSupplier nanoTime) {
        this(index, store, validator, library, clock, compileBudgetMillis, nanoTime, MAX_READS);
    }

    SharedFunctionRegistry(FunctionIndex index, ModuleStore store, ModuleValidator validator,
                           Optional<ModuleLibrary> library, InstantSource clock, long compileBudgetMillis,
                           LongSupplier nanoTime, int maxReads) {
        if (maxReads < 1) {
            throw new IllegalArgumentException("max-reads: " + maxReads + " (expected: > 0)");
        }
        this.reads = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Read> eldest) {
                return size() > maxReads;
            }
        });
        this.index = index;
        this.store = store;
        this.validator = validator;
        this.library = library;
        this.clock = clock;
        this.compileBudgetMillis = compileBudgetMillis;
        this.nanoTime = nanoTime;
    }

    @Override
    public Deployment deploy(DeployRequest request) {
        ModuleValidator.CheckedDeploy valid = validator.checkDeploy(request, clock);
        FunctionSpec spec = valid.spec();
        // Everything passed: only now does anything shared change.
        FunctionIndex.Commit commit = DeployObserver.step(request.observer(), DeployObserver.Step.STORE,
                () -> store(spec, request.module(), request.maxFunctions()));
        forget(spec.tenant(), spec.name());
        switch (commit.outcome()) {
            case STORED -> { }
            case LIMIT_REACHED -> throw new SchedulerException.FunctionLimit("the tenant has " + commit.count()
                    + " functions, the most it may have", request.maxFunctions());
            // The tenant was deleted after this deploy was admitted; the scheduler knows no tenants, so the closest it
            // can say is that the owner named is no longer valid (nothing of the deploy was left behind).
            case OWNER_DELETED -> throw new SchedulerException.InvalidInput(
                    "tenant: deleted while the function was being deployed");
            case RESERVATION_LOST -> throw new StorageFailure("shared store: the deploy of " + spec.name()
                    + " took longer than its reservation (" + RESERVATION.toMinutes() + " min) " + COMMIT_ATTEMPTS
                    + " times; deploy again", null);
        }
        boolean compiled = library.map(l -> {
            CompiledModule module = l.add(spec.tenant(), spec.digest(), valid.module());
            return module.isCompiled() || DeployObserver.step(request.observer(), DeployObserver.Step.COMPILE,
                    () -> module.awaitCompiled(compileBudgetMillis));
        }).orElse(false);
        return new Deployment(spec, commit.created(), compiled);
    }

    /** Known only with a {@link ModuleLibrary} (this process runs invocations); empty on a gateway. */
    @Override
    public Optional<Boolean> compiled(FunctionSpec function) {
        return library.flatMap(l -> l.compiled(function.digest()));
    }

    private FunctionIndex.Commit store(FunctionSpec spec, byte[] bytes, long maxFunctions) {
        return referenced(spec.digest(), bytes, token -> index.commit(spec, token, maxFunctions),
                FunctionIndex.Commit::orphaned, c -> c.outcome() == FunctionIndex.Commit.Outcome.RESERVATION_LOST);
    }

    /**
     * Reserves the digest, stores the bytes and runs the index step that references them (a deploy's commit, an
     * upload's attach); again when the reservation expired before that step (this process paused for longer than
     * {@link #RESERVATION}): another process may have deleted the bytes meanwhile, so referencing them would point
     * the function at missing bytes. Deletes what each step orphaned and returns the last step's result.
     */
    private <R> R referenced(String digest, byte[] bytes, Function<String, R> step,
                             Function<R, List<String>> orphaned, Predicate<R> lost) {
        R result = null;
        for (int attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
            String token = UUID.randomUUID().toString();
            reserve(digest, token);
            try {
                store.put(digest, bytes);
                result = step.apply(token);
            } catch (RuntimeException e) {
                try {
                    index.release(digest, token).ifPresent(this::deleteModule);
                } catch (RuntimeException again) {
                    e.addSuppressed(again); // the reservation expires by itself
                }
                throw e;
            }
            orphaned.apply(result).forEach(this::deleteModule);
            if (!lost.test(result)) {
                return result;
            }
        }
        return result;
    }

    /** Waits (briefly, rarely) while another process deletes this digest's old bytes. */
    private void reserve(String digest, String token) {
        long deadline = System.nanoTime() + RESERVE_WAIT_NANOS;
        long pause = TimeUnit.MILLISECONDS.toNanos(5);
        while (!index.reserve(digest, token, RESERVATION)) {
            if (System.nanoTime() - deadline > 0) {
                // The same wait for a module and for an asset tree (both blobs by digest in one store).
                throw new StorageFailure("shared store: " + digest + " is still being deleted by another"
                        + " process; try again shortly", null);
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    /**
     * The function, as read from the index at most {@link #FRESH_NANOS} ago: a change made through another process
     * is seen here within that, one made through this process at once. When the index cannot be read, the last
     * read is used however old (a shared store briefly away must not stop invocations of known functions); with
     * none, the failure is thrown. A function found absent is read again on every call: absence is cheap to ask
     * and must not crowd out the functions that exist.
     */
    @Override
    public Optional<FunctionSpec> find(String tenant, FunctionName name) {
        Key key = new Key(tenant, name);
        Read last = reads.get(key);
        long now = nanoTime.getAsLong();
        if (last != null && now - last.atNanos() < FRESH_NANOS) {
            return Optional.of(last.spec());
        }
        Optional<FunctionSpec> spec;
        try {
            spec = index.find(tenant, name);
        } catch (StorageFailure e) {
            if (last != null) {
                return Optional.of(last.spec());
            }
            throw e;
        }
        if (spec.isPresent()) {
            reads.put(key, new Read(spec.get(), now));
        } else {
            reads.remove(key);
        }
        return spec;
    }

    /** Changes through this process are seen by its next find at once. */
    private void forget(String tenant, FunctionName name) {
        reads.remove(new Key(tenant, name));
    }

    private void forgetAll(String tenant) {
        synchronized (reads) { // iterating a synchronized map needs its lock
            reads.keySet().removeIf(k -> k.tenant().equals(tenant));
        }
    }

    @Override
    public List<FunctionSpec> list(String tenant) {
        return index.list(tenant);
    }

    /**
     * One atomic index step, which also moves the function's reference from its old tree to the new one: a tree no
     * record names any more is deleted from the store like a module. The caller vouches that the new tree's bytes
     * are in the store (or that none are needed, in tests); uploads use the other {@code attach}. This process's
     * next find reads the record again.
     */
    @Override
    public Optional<AssetsChange> attach(String tenant, FunctionName name, Optional<AttachedAssets> assets) {
        FunctionIndex.Attach result = index.attach(tenant, name, assets, Optional.empty(), false);
        result.orphaned().forEach(this::deleteModule);
        return attached(tenant, name, result);
    }

    /**
     * Reserves the tree's digest, stores its archive and attaches it, as a deploy reserves, stores and commits its
     * module (and again when the reservation expired in between): so the bytes cannot be deleted between being
     * stored and being referenced, by a detach or delete of another function with the same tree elsewhere.
     */
    @Override
    public Optional<AssetsChange> attach(String tenant, FunctionName name, AttachedAssets assets,
                                         java.util.function.Supplier<byte[]> archive, boolean onlyWhenNone) {
        FunctionIndex.Attach result = referenced(assets.digest(), archive.get(),
                token -> index.attach(tenant, name, Optional.of(assets), Optional.of(token), onlyWhenNone),
                FunctionIndex.Attach::orphaned, a -> a.outcome() == FunctionIndex.Attach.Outcome.RESERVATION_LOST);
        return attached(tenant, name, result);
    }

    /** The caller has deleted what the step orphaned. */
    private Optional<AssetsChange> attached(String tenant, FunctionName name, FunctionIndex.Attach result) {
        forget(tenant, name);
        return switch (result.outcome()) {
            case ATTACHED -> result.change();
            case NOT_FOUND -> Optional.empty();
            case CORRUPT -> throw new StorageFailure("shared store: corrupt function entry in Redis for " + name
                    + " (left as it is)", null);
            // Only an upload's attach has a reservation to lose: every one of its attempts lost it.
            case RESERVATION_LOST -> throw new StorageFailure("shared store: storing the assets of " + name
                    + " took longer than its reservation (" + RESERVATION.toMinutes() + " min) " + COMMIT_ATTEMPTS
                    + " times; upload again", null);
        };
    }

    @Override
    public boolean delete(String tenant, FunctionName name) {
        forget(tenant, name);
        FunctionIndex.Removal removal = index.delete(tenant, name);
        forget(tenant, name);
        removed(removal.orphaned());
        return !removal.removed().isEmpty();
    }

    @Override
    public void deleteAll(String tenant) {
        forgetAll(tenant);
        FunctionIndex.Removal removal = index.deleteAll(tenant);
        forgetAll(tenant);
        removed(removal.orphaned());
    }

    private void removed(Collection<String> orphaned) {
        orphaned.forEach(this::deleteModule);
    }

    /**
     * Deletes an orphaned module's (or asset tree's) bytes, then lets deploys reserve the digest again. A failure
     * leaves the bytes (wasted space only) and the mark, which expires by itself; it never fails the delete that
     * orphaned them.
     */
    private void deleteModule(String digest) {
        library.ifPresent(l -> l.forget(digest));
        try {
            store.delete(digest);
            index.deleted(digest);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "shared store: cannot delete unreferenced module " + digest + " (left in the"
                    + " store): " + e.getMessage());
        }
    }
}
