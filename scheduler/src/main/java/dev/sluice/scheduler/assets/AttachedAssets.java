package dev.sluice.scheduler.assets;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.sluice.scheduler.Digests;
import dev.sluice.scheduler.files.AssetMount;
import java.util.Objects;

/**
 * A function's assets as its record holds them: which stored tree (by digest, so every process, worker or gateway,
 * finds the same files: in its data directory, or fetched from the shared module store) and where the guest sees it.
 * Part of {@link dev.sluice.scheduler.FunctionSpec}, so the function record, not a side index, says which function
 * has which tree, and the registries' own atomic writes decide races between a deploy and an upload.
 */
public record AttachedAssets(AssetTree tree, AssetMount mount) {
    public AttachedAssets {
        Objects.requireNonNull(tree, "tree");
        Objects.requireNonNull(mount, "mount");
    }

    /** The tree's digest, {@code sha256:<hex>}. */
    public String digest() {
        return tree.digest();
    }

    /**
     * Stored form (disk journal, Redis index): plain strings and numbers, independent of the value types. The order
     * is fixed because the Redis index's scripts rely on it (see {@code RedisFunctionIndex}).
     */
    @JsonPropertyOrder({"digest", "files", "bytes", "path", "writable"})
    public record Stored(String digest, long files, long bytes, String path, boolean writable) {
        public static Stored of(AttachedAssets assets) {
            return new Stored(assets.digest(), assets.tree().files(), assets.tree().bytes(), assets.mount().path(),
                    assets.mount().writable());
        }

        /** @throws IllegalArgumentException when a field is out of its range (a corrupt record) */
        public AttachedAssets attached() {
            if (digest == null || !Digests.isDigest(digest)) {
                throw new IllegalArgumentException("assets digest: '" + digest + "' (expected: sha256:<64 hex>)");
            }
            AssetTree.checkStoredCounts(files, bytes);
            return new AttachedAssets(new AssetTree(digest, files, bytes),
                    new AssetMount(path == null ? AssetMount.DEFAULT.path() : path, writable));
        }
    }
}
