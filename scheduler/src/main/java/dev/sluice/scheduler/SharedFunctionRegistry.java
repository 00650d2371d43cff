package dev.sluice.scheduler;

import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.shared.FunctionIndex;
import dev.sluice.scheduler.shared.ModuleStore;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The {@link FunctionRegistry} shared by every gateway and worker: metadata in a {@link FunctionIndex}, module bytes
 * in a {@link ModuleStore}. A deploy validates exactly as {@link DiskFunctionRegistry} does, before anything is
 * stored, so a rejected module leaves no trace; then it reserves the digest in the index, stores the bytes, and
 * commits the function (the tenant's function limit is checked atomically there). Module bytes no function
 * references any more, in any tenant, are deleted by whichever process dropped the last reference.
 *
 * <p>With a {@link ModuleLibrary} (this process runs invocations too) a deploy hands its validated module to the
 * library and waits for its compile up to the compile budget, as the disk registry does; without one (a gateway
 * that only dispatches) nothing is compiled here and {@link Deployment#compiled()} is false.
 *
 * <p>Reads: {@link #find} (every invocation) reads the index at most every {@link #FRESH_NANOS} per function and
 * falls back to its last read while the index cannot be read; {@link #list} always reads the index.
 *
 * <p>Threading: every write is one atomic index operation; the read cache is a concurrent map.
 */
final class SharedFunctionRegistry implements FunctionRegistry {
    private static final System.Logger LOG = System.getLogger(SharedFunctionRegistry.class.getName());
    /** A deploy's reservation outlives any deploy that is still alive (storing a module is one bounded command). */
    static final Duration RESERVATION = Duration.ofMinutes(5);
    /** How long a deploy waits for another process to finish deleting the same module's old bytes. */
    private static final long RESERVE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /**
     * How long a read of a function serves {@link #find} before it is read again: invocations of a hot function cost
     * one index read per quarter second, and a change made elsewhere is seen here well within a second.
     */
    static final long FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final int MAX_READS = 100_000;

    private final FunctionIndex index;
    private final ModuleStore store;
    private final ModuleValidator validator;
    private final Optional<ModuleLibrary> library;
    private final InstantSource clock;
    private final long compileBudgetMillis;
    private final LongSupplier nanoTime;
    /** What {@link #find} last read from the index, per function; see {@link #FRESH_NANOS}. */
    private final ConcurrentHashMap<Key, Read> reads = new ConcurrentHashMap<>();

    private record Key(String tenant, FunctionName name) {}

    private record Read(Optional<FunctionSpec> spec, long atNanos) {}

    SharedFunctionRegistry(FunctionIndex index, ModuleStore store, ModuleValidator validator,
                           Optional<ModuleLibrary> library, InstantSource clock, long compileBudgetMillis,
                           LongSupplier nanoTime) {
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
        byte[] bytes = request.module();
        if (bytes.length > request.maxModuleBytes()) {
            throw new ModuleRejected(ModuleRejected.Reason.TOO_LARGE, "module is " + bytes.length
                    + " bytes (limit: " + request.maxModuleBytes() + " bytes)");
        }
        String digest = Digests.sha256(bytes);
        // Built first so that bad limits fail before any parsing.
        FunctionSpec spec = new FunctionSpec(request.tenant(), request.name(), digest, bytes.length,
                request.memoryPages(), request.timeoutMs(), clock.instant(), request.fuel());
        ModuleValidator.Checked checked = validator.check(bytes);
        ModuleValidator.checkMemory(checked, spec.memoryPages());
        // Everything passed: only now does anything shared change.
        String token = UUID.randomUUID().toString();
        reserve(digest, token);
        FunctionIndex.Commit commit;
        try {
            store.put(digest, bytes);
            commit = index.commit(spec, token, request.maxFunctions());
        } catch (RuntimeException e) {
            try {
                index.release(digest, token).ifPresent(this::deleteModule);
            } catch (RuntimeException again) {
                e.addSuppressed(again); // the reservation expires by itself
            }
            throw e;
        }
        forget(spec.tenant(), spec.name());
        commit.orphaned().forEach(this::deleteModule);
        if (!commit.stored()) {
            throw new SchedulerException.FunctionLimit("the tenant has " + commit.count()
                    + " functions, the most it may have", request.maxFunctions());
        }
        boolean compiled = library.map(l -> {
            CompiledModule module = l.add(spec.tenant(), digest, checked);
            return module.isCompiled() || module.awaitCompiled(compileBudgetMillis);
        }).orElse(false);
        return new Deployment(spec, commit.created(), compiled);
    }

    /** Waits (briefly, rarely) while another process deletes this digest's old bytes. */
    private void reserve(String digest, String token) {
        long deadline = System.nanoTime() + RESERVE_WAIT_NANOS;
        long pause = TimeUnit.MILLISECONDS.toNanos(5);
        while (!index.reserve(digest, token, RESERVATION)) {
            if (System.nanoTime() - deadline > 0) {
                throw new StorageFailure("shared store: module " + digest + " is still being deleted by another"
                        + " process; deploy again shortly", null);
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    /**
     * The function, as read from the index at most {@link #FRESH_NANOS} ago: a change made through another process
     * is seen here within that, one made through this process at once. When the index cannot be read, the last
     * read is used however old (a shared store briefly away must not stop invocations of known functions); with
     * none, the failure is thrown.
     */
    @Override
    public Optional<FunctionSpec> find(String tenant, FunctionName name) {
        Key key = new Key(tenant, name);
        Read last = reads.get(key);
        long now = nanoTime.getAsLong();
        if (last != null && now - last.atNanos() < FRESH_NANOS) {
            return last.spec();
        }
        Optional<FunctionSpec> spec;
        try {
            spec = index.find(tenant, name);
        } catch (StorageFailure e) {
            if (last != null) {
                return last.spec();
            }
            throw e;
        }
        if (reads.size() >= MAX_READS) {
            reads.clear(); // crude but bounded: entries are only a shortcut
        }
        reads.put(key, new Read(spec, now));
        return spec;
    }

    /** Changes through this process are seen by its next find at once. */
    private void forget(String tenant, FunctionName name) {
        reads.remove(new Key(tenant, name));
    }

    @Override
    public List<FunctionSpec> list(String tenant) {
        return index.list(tenant);
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
        reads.keySet().removeIf(k -> k.tenant().equals(tenant));
        FunctionIndex.Removal removal = index.deleteAll(tenant);
        reads.keySet().removeIf(k -> k.tenant().equals(tenant));
        removed(removal.orphaned());
    }

    private void removed(Collection<String> orphaned) {
        orphaned.forEach(this::deleteModule);
    }

    /**
     * Deletes an orphaned module's bytes, then lets deploys reserve the digest again. A failure leaves the bytes
     * (wasted space only) and the mark, which expires by itself; it never fails the delete that orphaned them.
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
