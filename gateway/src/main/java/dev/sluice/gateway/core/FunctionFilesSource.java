package dev.sluice.gateway.core;

import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.files.FunctionFiles;
import dev.sluice.scheduler.files.ScratchLimits;
import dev.sluice.tenancy.plan.TenantLimits;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Which files an invocation gets ({@link FunctionFiles}): its function's assets directory, if any, and a {@code /tmp}
 * bounded by the plan's {@code scratch-bytes} and {@code scratch-inodes} (none at 0 bytes). Only where functions run
 * in this process ({@link #local}): the internal protocol to remote workers carries no files yet, so
 * {@link #NOT_CARRIED} gives every invocation {@link FunctionFiles#NONE} rather than a directory the worker never sees.
 */
public final class FunctionFilesSource {
    /** Functions run elsewhere (remote workers): no files reach them. */
    public static final FunctionFilesSource NOT_CARRIED = new FunctionFilesSource(null);

    /** {@code (owner, function)} to the host directory of its assets, empty when it has none. */
    private final BiFunction<String, FunctionName, Optional<Path>> assets;

    private FunctionFilesSource(BiFunction<String, FunctionName, Optional<Path>> assets) {
        this.assets = assets;
    }

    /** Functions run in this process, which reads their assets from {@code assets}. */
    public static FunctionFilesSource local(BiFunction<String, FunctionName, Optional<Path>> assets) {
        return new FunctionFilesSource(Objects.requireNonNull(assets, "assets"));
    }

    /** Whether files reach the functions at all (else uploads are refused: they would never be seen). */
    public boolean carried() {
        return assets != null;
    }

    /**
     * The files of one invocation of {@code owner}'s {@code function} under {@code limits}; {@link FunctionFiles#NONE}
     * (the runtime's fast path) when it has no assets and the plan gives no scratch space.
     */
    FunctionFiles of(String owner, FunctionName function, TenantLimits limits) {
        if (assets == null) {
            return FunctionFiles.NONE;
        }
        Optional<Path> directory = assets.apply(owner, function);
        ScratchLimits scratch = limits.scratchBytes() == 0 ? ScratchLimits.NONE
                : new ScratchLimits(limits.scratchBytes(), Math.toIntExact(limits.scratchInodes()));
        if (directory.isEmpty() && !scratch.granted()) {
            return FunctionFiles.NONE;
        }
        return new FunctionFiles(directory, scratch);
    }
}
