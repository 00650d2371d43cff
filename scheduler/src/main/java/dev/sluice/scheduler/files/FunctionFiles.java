package dev.sluice.scheduler.files;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The files an invocation sees: its function's assets, a host directory (content-addressed, never written once
 * complete), and scratch space, fresh for every invocation. Where and how the assets appear is {@code mount}
 * ({@link AssetMount}): read-only at its path (default {@code /assets}) with scratch as a second preopen
 * {@code /tmp}; or writable, one preopen at its path holding a per-invocation copy of the tree in the scratch space
 * (which must be granted and big enough, else the call is refused before it starts). {@link #NONE}: no files at all,
 * the guest runs exactly as before files existed.
 */
public record FunctionFiles(Optional<Path> assets, AssetMount mount, ScratchLimits scratch) {
    /** No {@code /assets}, no {@code /tmp}. */
    public static final FunctionFiles NONE = new FunctionFiles(Optional.empty(), ScratchLimits.NONE);

    public FunctionFiles {
        Objects.requireNonNull(assets, "assets");
        Objects.requireNonNull(mount, "mount");
        Objects.requireNonNull(scratch, "scratch");
        assets = assets.map(Path::toAbsolutePath);
    }

    /** Assets (if any) read-only at {@code /assets}. */
    public FunctionFiles(Optional<Path> assets, ScratchLimits scratch) {
        this(assets, AssetMount.DEFAULT, scratch);
    }

    /**
     * The files of one invocation, decided in one place for every process shape: {@link #NONE} (the runtime's fast
     * path) when the function has no assets and no scratch space is granted.
     *
     * @param assets the tree's host directory, empty where it is not resolved (a gateway sending the call to a worker)
     * @param mount  the mount of the function's assets, empty when it has none
     */
    public static FunctionFiles of(Optional<Path> assets, Optional<AssetMount> mount, ScratchLimits scratch) {
        if (mount.isEmpty() && !scratch.granted()) {
            return NONE;
        }
        return new FunctionFiles(assets, mount.orElse(AssetMount.DEFAULT), scratch);
    }

    /** Whether the guest gets any directory: only then does its invocation pay for a file-aware WASI. */
    public boolean any() {
        return assets.isPresent() || scratch.granted();
    }
}
