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
}
