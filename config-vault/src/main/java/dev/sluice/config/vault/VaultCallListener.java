package dev.sluice.config.vault;

import java.net.http.HttpRequest;
import java.util.Locale;

/**
 * Told of every request the Vault session sends, for metrics: its {@linkplain #operation operation} (one of a fixed
 * set, never a path or a secret's name), how long it took, and whether it failed: no answer (unreachable, timed
 * out, a body over the cap) or an error status other than 404 (a missing KV entry is an answer). Called on the
 * calling thread, or the HTTP client's for an asynchronous exchange: quick, never blocking, never throwing.
 */
@FunctionalInterface
public interface VaultCallListener {
    /** Listens to nothing. */
    VaultCallListener NONE = (operation, nanos, failed) -> { };

    /** The operation labels, all of them. */
    java.util.List<String> OPERATIONS = java.util.List.of("login", "token", "read", "list", "write", "delete",
            "other");

    void call(String operation, long nanos, boolean failed);

    /**
     * What a request does, from its method and path alone: {@code login} ({@code /v1/auth/.../login}), {@code token}
     * (renewing or looking up the token), {@code list} ({@code LIST} or {@code ?list=true}), {@code read},
     * {@code write}, {@code delete}, else {@code other}.
     */
    static String operation(HttpRequest request) {
        String path = request.uri().getRawPath() == null ? "" : request.uri().getRawPath();
        String query = request.uri().getRawQuery() == null ? "" : request.uri().getRawQuery();
        String method = request.method().toUpperCase(Locale.ROOT);
        if (path.startsWith("/v1/auth/")) {
            return path.endsWith("/login") ? "login" : "token";
        }
        if (method.equals("LIST") || query.contains("list=true")) {
            return "list";
        }
        return switch (method) {
            case "GET" -> "read";
            case "POST", "PUT", "PATCH" -> "write";
            case "DELETE" -> "delete";
            default -> "other";
        };
    }
}
