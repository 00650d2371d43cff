package dev.sluice.scheduler.assets;

/**
 * The plan limits an asset archive is checked against.
 *
 * @param maxBytes most bytes of file content (0: assets refused)
 * @param maxFiles most entries, files and directories (implied directories count)
 */
public record AssetLimits(long maxBytes, long maxFiles) {
    /** The most {@code max-asset-bytes} any plan may allow (1 GiB). */
    private static final long MAX_BYTES = 1L << 30;
    /** The most {@code max-asset-files} any plan may allow. */
    private static final long MAX_FILES = 100_000;

    public AssetLimits {
        if (maxBytes < 0 || maxBytes > MAX_BYTES) {
            throw new IllegalArgumentException("max-asset-bytes: " + maxBytes + " (expected: 0.." + MAX_BYTES + ")");
        }
        if (maxFiles < 0 || maxFiles > MAX_FILES) {
            throw new IllegalArgumentException("max-asset-files: " + maxFiles + " (expected: 0.." + MAX_FILES + ")");
        }
    }

    /**
     * The most raw archive bytes these limits can need: the content, and per entry a header, a pax header with up to
     * 1 KiB of records and the padding of its data; then the end blocks and the record padding (10 KiB). Reading
     * stops past it, so no body is read further than what a valid archive could be.
     */
    public long maxArchiveBytes() {
        return maxBytes + (maxFiles + 2) * 2560L + 10240;
    }

    /**
     * The bounds a stored tree is unpacked within when fetched by digest: exactly its recorded size and file count
     * (capped at what any plan allows), so a corrupt or swapped archive cannot unpack to more than its record says.
     */
    public static AssetLimits exactly(AssetTree tree) {
        return new AssetLimits(Math.min(tree.bytes(), MAX_BYTES), Math.min(tree.files(), MAX_FILES));
    }
}
