package dev.sluice.config.vault;

import java.net.http.HttpRequest;
import java.util.List;
import java.util.Locale;

/**
 * The names the Vault session gives its requests when it tells a {@link dev.sluice.config.CallListener}: one of a
 * fixed set, never a path or a secret's name. A request failed when it had no answer (unreachable, timed out, a body
 * over the cap) or an error status other than 404 (a missing KV entry is an answer).
 */
public final class VaultOperations {
    /** The operation labels, all of them. */
    public static final List<String> OPERATIONS = List.of("login", "token", "read", "list", "write", "delete",
            "other");

    private VaultOperations() {
    }

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
