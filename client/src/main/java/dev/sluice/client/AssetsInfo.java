package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A function's assets as the server shows them: the tree's digest, its entries (files and directories) and bytes of
 * content, and where the guest sees it ({@code path}, {@code writable}: see {@link AssetsPlacement}). {@code json} is
 * the representation as sent.
 */
public record AssetsInfo(String digest, long files, long bytes, String path, boolean writable, JsonNode json) {
    static AssetsInfo from(JsonNode node) {
        return new AssetsInfo(Fields.text(node, "digest"), Fields.number(node, "files"), Fields.number(node, "bytes"),
                node.path("path").asText(AssetsPlacement.DEFAULT_PATH), node.path("writable").asBoolean(false), node);
    }
}
