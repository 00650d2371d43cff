package dev.sluice.client;

import java.util.List;
import java.util.Objects;

/**
 * One invocation: {@code method} on {@code /v1/functions/{function}/invoke{path}} ({@code path} empty or starting
 * with {@code /} or {@code ?}, a query allowed) with {@code headers} and {@code body} (empty: none).
 */
public record InvokeRequest(String function, String method, String path, List<Header> headers, byte[] body) {
    public InvokeRequest {
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        headers = List.copyOf(headers);
        body = body == null ? new byte[0] : body;
        if (method.isEmpty() || !method.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
            throw new IllegalArgumentException("method: " + method + " (expected: an HTTP method such as GET, POST)");
        }
        if (!path.isEmpty() && !path.startsWith("/") && !path.startsWith("?")) {
            throw new IllegalArgumentException("path: " + path + " (expected: empty, /path or ?query)");
        }
    }

    public static InvokeRequest of(String function) {
        return new InvokeRequest(function, "GET", "", List.of(), new byte[0]);
    }
}
