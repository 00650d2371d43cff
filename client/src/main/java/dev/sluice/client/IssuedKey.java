package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * A key as issued or rotated: its metadata, its {@code secret} (the server shows it this once), and for a rotation
 * the {@code previous} key's metadata. {@link #toString()} leaves the secret and the JSON (which holds it) out.
 */
public record IssuedKey(KeyInfo key, String secret, Optional<KeyInfo> previous, JsonNode json) {
    static IssuedKey from(JsonNode node) {
        JsonNode previous = node.get("previous");
        return new IssuedKey(KeyInfo.from(node), Fields.text(node, "key"),
                previous == null || previous.isNull() ? Optional.empty() : Optional.of(KeyInfo.from(previous)), node);
    }

    @Override
    public String toString() {
        return "IssuedKey[id=" + key.id() + ", tenant=" + key.tenant() + ", name=" + key.name() + ", secret=(redacted)]";
    }
}
