package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * A deployed function as the server shows it. {@code compiled} is present where the serving process knows whether
 * its compiled tier is ready (false: it runs on the interpreter until the background compile ends), absent where it
 * cannot know (remote workers) or the server predates it. {@code json} is the representation as sent.
 */
public record FunctionInfo(String name, String digest, long size, long memoryPages, long timeoutMs, long fuel,
                           String deployedAt, Optional<Boolean> compiled, JsonNode json) {
    static FunctionInfo from(JsonNode node) {
        return new FunctionInfo(Fields.text(node, "name"), Fields.text(node, "digest"), Fields.number(node, "size"),
                Fields.number(node, "memory-pages"), Fields.number(node, "timeout-ms"), Fields.number(node, "fuel"),
                Fields.text(node, "deployed-at"), Fields.flag(node, "compiled"), node);
    }
}
