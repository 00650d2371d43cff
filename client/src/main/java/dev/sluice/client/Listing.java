package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** A list the server answered ({@code {"functions": [...]}}, say): the items, and the answer as sent. */
public record Listing<T>(List<T> items, JsonNode json) {
    public Listing {
        items = List.copyOf(items);
    }
}
