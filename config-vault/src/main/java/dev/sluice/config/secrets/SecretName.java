package dev.sluice.config.secrets;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The name of a function secret, which is the environment variable the function sees:
 * {@code [A-Z_][A-Z0-9_]{0,127}}, and not one the gateway sets itself (the CGI variables of each request, and
 * anything starting with {@code HTTP_}, {@code SLUICE_} or {@code WASI_}), so a secret never shadows request data.
 */
public record SecretName(String value) {
    private static final Pattern FORM = Pattern.compile("[A-Z_][A-Z0-9_]{0,127}");
    private static final Set<String> RESERVED = Set.of("AUTH_TYPE", "CONTENT_LENGTH", "CONTENT_TYPE",
            "GATEWAY_INTERFACE", "PATH_INFO", "PATH_TRANSLATED", "QUERY_STRING", "REMOTE_ADDR", "REMOTE_HOST",
            "REMOTE_IDENT", "REMOTE_USER", "REQUEST_METHOD", "SCRIPT_NAME", "SERVER_NAME", "SERVER_PORT",
            "SERVER_PROTOCOL", "SERVER_SOFTWARE", "X_FULL_URL", "X_MATCHED_ROUTE", "X_RAW_PATH_INFO",
            "X_RELATIVE_PATH");
    private static final Set<String> RESERVED_PREFIXES = Set.of("HTTP_", "SLUICE_", "WASI_");

    public SecretName {
        if (value == null || !FORM.matcher(value).matches()) {
            throw new SecretsException.Invalid("name: '" + shown(value)
                    + "' (expected: [A-Z_][A-Z0-9_]{0,127}, an environment variable name)");
        }
        if (RESERVED.contains(value) || RESERVED_PREFIXES.stream().anyMatch(value::startsWith)) {
            throw new SecretsException.Invalid("name: '" + value + "' is set by the gateway for every request "
                    + "(expected: another name; not a CGI variable, nor HTTP_*, SLUICE_*, WASI_*)");
        }
    }

    public static SecretName of(String value) {
        return new SecretName(value);
    }

    /** At most 64 printable ASCII characters of what was given, so a hostile name cannot flood a message. */
    private static String shown(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        value.codePoints().limit(64).forEach(c -> out.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
        return value.length() > 64 ? out + "..." : out.toString();
    }

    @Override
    public String toString() {
        return value;
    }
}
