package dev.sluice.scheduler.files;

/**
 * How much scratch space ({@code /tmp}) an invocation gets: at most {@code bytes} bytes of file data and
 * {@code inodes} files and directories (the root {@code /tmp} itself not counted). {@link #NONE} (0 bytes) means no
 * {@code /tmp} at all. Past either bound the guest's call fails with WASI's {@code NOSPC} (docs/sandbox.md).
 */
public record ScratchLimits(long bytes, int inodes) {
    /** Largest {@code bytes}: the plan limit {@code scratch-bytes} allows up to 256 MiB. */
    public static final long MAX_BYTES = 256L << 20;
    /** Largest {@code inodes}, as the plan limit {@code scratch-inodes}. */
    public static final int MAX_INODES = 100_000;
    /** No {@code /tmp}. */
    public static final ScratchLimits NONE = new ScratchLimits(0, 0);

    public ScratchLimits {
        if (bytes < 0 || bytes > MAX_BYTES) {
            throw new IllegalArgumentException("scratch-bytes: " + bytes + " (expected: 0.." + MAX_BYTES + ")");
        }
        if (inodes < 0 || inodes > MAX_INODES) {
            throw new IllegalArgumentException("scratch-inodes: " + inodes + " (expected: 0.." + MAX_INODES + ")");
        }
    }

    /** Whether the invocation gets a {@code /tmp}. */
    public boolean granted() {
        return bytes > 0;
    }
}
