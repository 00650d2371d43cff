package dev.sluice.scheduler.assets;

import java.util.Objects;

/**
 * A stored asset tree.
 *
 * @param digest {@code sha256:<hex>} of the tree's canonical archive ({@link AssetArchive#canonical}): the same
 *               files give the same digest whatever order, times or owners the uploaded tar had
 * @param files  entries: files and directories
 * @param bytes  bytes of file content
 */
public record AssetTree(String digest, long files, long bytes) {
    public AssetTree {
        Objects.requireNonNull(digest, "digest");
    }

    /**
     * Checks the counts of a stored record (a function record's assets, a version 1 {@code index.json} entry), so
     * both refuse a corrupt one with the same message.
     *
     * @throws IllegalArgumentException when either is negative
     */
    static void checkStoredCounts(long files, long bytes) {
        if (files < 0 || bytes < 0) {
            throw new IllegalArgumentException("assets: " + files + " files, " + bytes + " bytes (expected: >= 0)");
        }
    }
}
