package dev.sluice.gateway.wagi;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CGI variables a function sees (WAGI): request line, content metadata and the request headers as
 * {@code HTTP_*}. Credentials never reach the guest: {@code Authorization} and {@code Proxy-Authorization} are left
 * out, as are headers that describe the connection rather than the request.
 *
 * <p>Only header names of letters, digits and {@code -} become variables. {@code -}, {@code _} and {@code .} all
 * map to {@code _}, so {@code X_Forwarded_For} or {@code X.Forwarded.For} would otherwise fold into
 * {@code HTTP_X_FORWARDED_FOR} beside (or instead of) the header a proxy set: a client could spoof it. Such names are
 * dropped, as nginx does by default ({@code underscores_in_headers off}, {@code ignore_invalid_headers on}).
 *
 * <p>Built on every invocation's path, so the checks are plain character scans (no regex, no lower-cased copies) and
 * the HTTP edge adds its headers straight from the request ({@link Builder}), without an intermediate map.
 */
public final class WagiEnvironment {
    /** Compared ignoring case; a name's length rules most of them out at once. */
    private static final String[] WITHHELD = {"authorization", "proxy-authorization", "connection", "keep-alive",
        "upgrade", "http2-settings", "te", "transfer-encoding", "content-type", "content-length"};

    private WagiEnvironment() {}

    /**
     * @param scriptName the route the function is mounted at, e.g. {@code /v1/functions/hello/invoke}
     * @param pathInfo   what follows it ({@code /} or more)
     * @param headers    request headers, name to values, as received
     */
    public static Map<String, String> of(String method, String scriptName, String pathInfo, String rawQuery,
                                         String contentType, long contentLength, String serverName, int serverPort,
                                         String remoteAddr, Map<String, List<String>> headers) {
        Builder env = builder(method, scriptName, pathInfo, rawQuery, contentType, contentLength, serverName,
                serverPort, remoteAddr);
        headers.forEach(env::header);
        return env.build();
    }

    /** The variables of the request line and content; the headers follow, in the order received. */
    public static Builder builder(String method, String scriptName, String pathInfo, String rawQuery,
                                  String contentType, long contentLength, String serverName, int serverPort,
                                  String remoteAddr) {
        return new Builder(method, scriptName, pathInfo, rawQuery, contentType, contentLength, serverName, serverPort,
                remoteAddr);
    }

    /** One request's environment under construction; not thread-safe. */
    public static final class Builder {
        private final Map<String, String> env = new LinkedHashMap<>();

        private Builder(String method, String scriptName, String pathInfo, String rawQuery, String contentType,
                        long contentLength, String serverName, int serverPort, String remoteAddr) {
            env.put("GATEWAY_INTERFACE", "CGI/1.1");
            env.put("SERVER_PROTOCOL", "HTTP/1.1");
            env.put("SERVER_SOFTWARE", "Sluice");
            env.put("REQUEST_METHOD", method);
            env.put("SCRIPT_NAME", scriptName);
            env.put("PATH_INFO", pathInfo);
            env.put("QUERY_STRING", rawQuery == null ? "" : rawQuery);
            env.put("CONTENT_TYPE", contentType == null ? "" : contentType);
            env.put("CONTENT_LENGTH", Long.toString(contentLength));
            env.put("SERVER_NAME", serverName);
            env.put("SERVER_PORT", Integer.toString(serverPort));
            env.put("REMOTE_ADDR", remoteAddr);
        }

        /** A request header with its values (joined with {@code ", "}); withheld or oddly named ones are left out. */
        public Builder header(String name, List<String> values) {
            if (passes(name)) {
                String value = values.size() == 1 ? values.getFirst() : String.join(", ", values);
                env.merge(variable(name), value, (a, b) -> a + ", " + b);
            }
            return this;
        }

        public Map<String, String> build() {
            return env;
        }
    }

    private static boolean passes(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
                return false;
            }
        }
        for (String withheld : WITHHELD) {
            if (withheld.equalsIgnoreCase(name)) {
                return false;
            }
        }
        return true;
    }

    /** {@code HTTP_} and the name upper-cased with {@code -} as {@code _}; the name is letters, digits and {@code -}. */
    static String variable(String header) {
        char[] name = new char[5 + header.length()];
        "HTTP_".getChars(0, 5, name, 0);
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            name[5 + i] = c == '-' ? '_' : c >= 'a' && c <= 'z' ? (char) (c - ('a' - 'A')) : c;
        }
        return new String(name);
    }
}
