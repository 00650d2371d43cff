package dev.sluice.gateway.remote;

import dev.sluice.scheduler.Digests;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.assets.FunctionAssets;
import dev.sluice.scheduler.shared.ModuleStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where a worker finds the tree a call's function record names, by digest: in its own data directory (a copy fetched
 * earlier, swept at its next start), else where the gateways keep them, in the layout the worker's modules come from:
 * the shared module store (Redis; fetched, checked against the digest and unpacked within the tree's recorded size
 * and file count) or, when the worker reads the gateway's module files ({@code worker-module-dir =
 * <gateway data-dir>/modules}), the gateway's complete, read-only tree beside them in {@code <gateway data-dir>/assets}.
 * A tree in neither is a {@link StorageFailure}: the call fails before the guest starts ({@code store-unavailable}).
 */
public final class WorkerTrees implements Function<AttachedAssets, Path> {
    private final FunctionAssets local;
    private final Optional<ModuleStore> shared;
    private final Optional<Path> gatewayTrees;

    private WorkerTrees(FunctionAssets local, Optional<ModuleStore> shared, Optional<Path> gatewayTrees) {
        this.local = Objects.requireNonNull(local, "local");
        this.shared = shared;
        this.gatewayTrees = gatewayTrees;
    }

    /** Trees fetched from the shared store into {@code local}. */
    public static WorkerTrees shared(FunctionAssets local, ModuleStore store) {
        return new WorkerTrees(local, Optional.of(store), Optional.empty());
    }

    /** Trees read where the gateway keeps them: {@code assets} beside its {@code modules} directory. */
    public static WorkerTrees besideModules(FunctionAssets local, Path gatewayModules) {
        return new WorkerTrees(local, Optional.empty(),
                Optional.of(gatewayModules.toAbsolutePath().resolveSibling("assets")));
    }

    @Override
    public Path apply(AttachedAssets attached) {
        String digest = attached.digest();
        // A worker has either a shared store or the gateway's directory, never both: the order is always "here first".
        Optional<Path> found = local.find(attached, shared);
        if (found.isPresent()) {
            return found.get();
        }
        if (gatewayTrees.isPresent()) {
            // The digest's form was checked when the call was decoded: it names a directory, never a path out.
            Path tree = gatewayTrees.get().resolve(digest.substring(Digests.PREFIX.length()));
            if (Files.isDirectory(tree)) {
                return tree;
            }
        }
        throw new StorageFailure("function assets " + digest + " are in neither this worker's data directory nor "
                + gatewayTrees.map(Path::toString).orElse("the shared store"), null);
    }
}
