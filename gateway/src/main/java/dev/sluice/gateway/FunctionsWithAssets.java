package dev.sluice.gateway;

import dev.sluice.scheduler.ForwardingFunctionRegistry;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.assets.AssetLimits;
import dev.sluice.scheduler.assets.AssetRejection;
import dev.sluice.scheduler.assets.AssetTree;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.assets.FunctionAssets;
import dev.sluice.scheduler.files.AssetMount;
import dev.sluice.scheduler.files.Scratch;
import dev.sluice.scheduler.files.ScratchLimits;
import dev.sluice.scheduler.shared.ModuleStore;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The function registry as the API uses it, with assets. The function's record says which tree it has
 * ({@link FunctionSpec#assets()}, changed only by {@link FunctionRegistry#attach}, kept by a deploy); this class
 * stores the trees on local disk ({@link FunctionAssets}), hands their canonical archive to the registry, which puts it
 * in the shared module store when there is one (so remote workers and other gateways find them by digest, and the
 * store deletes a tree no function anywhere names any more), and gives back its local reference to a tree once the
 * record no longer points at it. Removing a function, or a tenant's functions, gives back theirs; the function
 * goes first, so if its removal fails its assets stay with it.
 */
final class FunctionsWithAssets extends ForwardingFunctionRegistry {
    private final FunctionAssets assets;
    private final Optional<ModuleStore> shared;

    private FunctionsWithAssets(FunctionRegistry functions, FunctionAssets assets, Optional<ModuleStore> shared) {
        super(functions);
        this.assets = assets;
        this.shared = shared;
    }

    /**
     * Also attaches the trees an older version recorded only in the data directory's index to their functions
     * ({@link FunctionAssets#upgrade}), so nothing uploaded before an upgrade is lost, then gives back the references
     * no record backs any more ({@link FunctionAssets#reconcile}).
     *
     * @param shared where trees are fetched from when this data directory does not have them (Redis), if anywhere
     */
    static FunctionsWithAssets over(FunctionRegistry functions, FunctionAssets assets, Optional<ModuleStore> shared) {
        FunctionsWithAssets registry = new FunctionsWithAssets(Objects.requireNonNull(functions, "functions"),
                Objects.requireNonNull(assets, "assets"), Objects.requireNonNull(shared, "shared"));
        assets.upgrade(functions);
        assets.reconcile(functions);
        return registry;
    }

    /**
     * Stores the tar {@code body} as the function's assets, seen by the guest as {@code mount} says: unpacked and
     * checked (outside any lock), published, then attached to the function's record in one atomic registry write.
     *
     * @param scratch the plan's scratch space now: a writable mount's copy must fit it
     * @return the function's record after, empty when there is no such function (nothing is kept then)
     * @throws SchedulerException.AssetsRejected when the archive breaks a rule, or a writable copy would not fit
     */
    Optional<FunctionSpec> upload(String tenant, FunctionName name, InputStream body, AssetLimits limits,
                                  AssetMount mount, ScratchLimits scratch) {
        AssetTree tree = assets.store(tenant, name, body, limits);
        Optional<FunctionRegistry.AssetsChange> change;
        try {
            if (mount.writable()) {
                requireFits(tree, scratch);
            }
            // A shared registry stores the archive (built only then) before the record points at it, and references
            // it in the same step: a worker or gateway that reads the record can fetch the tree.
            change = functions.attach(tenant, name, new AttachedAssets(tree, mount),
                    () -> assets.archive(tree.digest()), false);
        } catch (RuntimeException e) {
            assets.release(tenant, name, tree.digest());
            throw e;
        }
        if (change.isEmpty()) {
            // Deleted (or never deployed) while the archive was read.
            assets.release(tenant, name, tree.digest());
            return Optional.empty();
        }
        change.get().before().assets().ifPresent(old -> assets.release(tenant, name, old.digest()));
        return Optional.of(change.get().after());
    }

    /** Removes the function's assets. @return the record after, empty when there is no such function */
    Optional<FunctionSpec> detach(String tenant, FunctionName name) {
        Optional<FunctionRegistry.AssetsChange> change = functions.attach(tenant, name, Optional.empty());
        change.flatMap(c -> c.before().assets()).ifPresent(old -> assets.release(tenant, name, old.digest()));
        return change.map(FunctionRegistry.AssetsChange::after);
    }

    /**
     * The host directory of a function's tree, for an invocation run in this process: this data directory's copy, or
     * one fetched from the shared store (unpacked within the tree's own recorded size and file count).
     *
     * @throws SchedulerException.StorageFailure when neither has it, or the shared bytes are corrupt
     */
    Path directory(AttachedAssets attached) {
        return assets.find(attached, shared).orElseThrow(() -> new SchedulerException.StorageFailure(
                "function assets " + attached.digest() + " are neither in this data directory nor in the shared store",
                null));
    }

    private void requireFits(AssetTree tree, ScratchLimits scratch) {
        Path directory = assets.local(tree.digest()).orElseThrow(() -> new SchedulerException.StorageFailure(
                "assets " + tree.digest() + " were stored but are not in the data directory", null));
        Scratch.Tree.measure(directory).shortfall(scratch).ifPresent(s -> {
            throw new SchedulerException.AssetsRejected(AssetRejection.EXCEEDS_SCRATCH, s.detail());
        });
    }

    @Override
    public boolean delete(String tenant, FunctionName name) {
        boolean existed = functions.delete(tenant, name);
        assets.remove(tenant, name);
        return existed;
    }

    @Override
    public void deleteAll(String tenant) {
        functions.deleteAll(tenant);
        assets.removeAll(tenant);
    }
}
