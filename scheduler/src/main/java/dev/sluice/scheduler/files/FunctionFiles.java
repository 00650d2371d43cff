package dev.sluice.scheduler.files;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The files an invocation sees: its function's assets, a host directory the guest reads as {@code /assets}
 * (read-only; content-addressed, never written once complete), and scratch space as {@code /tmp}, fresh and empty
 * for every invocation. {@link #NONE}: no files at all, the guest runs exactly as before files existed.
 */
public record FunctionFiles(Optional<Path> assets, ScratchLimits scratch) {
    /** No {@code /assets}, no {@code /tmp}. */
    public static final FunctionFiles NONE = new FunctionFiles(Optional.empty(), ScratchLimits.NONE);

    public FunctionFiles {
        Objects.requireNonNull(assets, "assets");
        Objects.requireNonNull(scratch, "scratch");
        assets = assets.map(Path::toAbsolutePath);
    }

    /** Whether the guest gets any directory: only then does its invocation pay for a file-aware WASI. */
    public boolean any() {
        return assets.isPresent() || scratch.granted();
    }
}
