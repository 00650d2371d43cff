package dev.sluice.scheduler.assets;

/**
 * The plan limits an asset archive is checked against.
 *
 * @param maxBytes most bytes of file content (0: assets refused)
 * @param maxFiles most entries, files and directories (implied directories count)
 */
public record AssetLimits(long maxBytes, long maxFiles) {
    public AssetLimits {
        if (maxBytes < 0 || maxBytes > 1L << 30) {
            throw new IllegalArgumentException("max-asset-bytes: " + maxBytes + " (expected: 0..1073741824)");
        }
        if (maxFiles < 0 || maxFiles > 100_000) {
            throw new IllegalArgumentException("max-asset-files: " + maxFiles + " (expected: 0..100000)");
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
        return new AssetLimits(Math.min(tree.bytes(), 1L << 30), Math.min(tree.files(), 100_000));
    }
}
