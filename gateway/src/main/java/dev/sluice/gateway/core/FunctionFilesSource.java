package dev.sluice.gateway.core;

import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.files.FunctionFiles;
import dev.sluice.scheduler.files.ScratchLimits;
import dev.sluice.tenancy.plan.TenantLimits;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which files an invocation gets ({@link FunctionFiles}): its function's assets (the tree its record names, where its
 * {@code AssetMount} says) and scratch space bounded by the plan's {@code scratch-bytes} and {@code scratch-inodes}
 * (none at 0 bytes). Where functions run in this process ({@link #local}) the tree's host directory is found here;
 * where they run on remote workers ({@link #REMOTE}) the files carry no host path: the internal protocol sends the
 * record's assets (digest and mount) and these scratch limits, and the worker finds the tree in its own data
 * directory or the shared module store.
 */
public final class FunctionFilesSource {
    /** Functions run on remote workers, which resolve the tree themselves. */
    public static final FunctionFilesSource REMOTE = new FunctionFilesSource(null, true);
    /** No files at all (tests of other concerns). */
    public static final FunctionFilesSource NONE = new FunctionFilesSource(null, false);

    /** The host directory of a tree; throws when it cannot be found. Null: not resolved here. */
    private final Function<AttachedAssets, Path> directories;
    private final boolean any;

    private FunctionFilesSource(Function<AttachedAssets, Path> directories, boolean any) {
        this.directories = directories;
        this.any = any;
    }

    /** Functions run in this process, which finds their trees with {@code directories}. */
    public static FunctionFilesSource local(Function<AttachedAssets, Path> directories) {
        return new FunctionFilesSource(Objects.requireNonNull(directories, "directories"), true);
    }

    /** The scratch space a plan grants each invocation: none at {@code scratch-bytes} 0. */
    public static ScratchLimits scratchOf(TenantLimits limits) {
        return limits.scratchBytes() == 0 ? ScratchLimits.NONE
                : new ScratchLimits(limits.scratchBytes(), Math.toIntExact(limits.scratchInodes()));
    }

    /**
     * The files of one invocation of {@code function} under {@code limits}; {@link FunctionFiles#NONE} (the runtime's
     * fast path) when it has no assets and the plan gives no scratch space.
     *
     * @throws dev.sluice.scheduler.SchedulerException.StorageFailure when the function's tree cannot be found here
     */
    FunctionFiles of(FunctionSpec function, TenantLimits limits) {
        if (!any) {
            return FunctionFiles.NONE;
        }
        ScratchLimits scratch = scratchOf(limits);
        Optional<AttachedAssets> attached = function.assets();
        Optional<Path> directory = directories == null ? Optional.empty() : attached.map(directories);
        return FunctionFiles.of(directory, attached.map(AttachedAssets::mount), scratch);
    }
}
