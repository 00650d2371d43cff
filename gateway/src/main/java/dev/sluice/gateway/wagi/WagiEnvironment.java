package dev.sluice.gateway.wagi;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The CGI variables a function sees (WAGI): request line, content metadata and the request headers as
 * {@code HTTP_*}. Credentials never reach the guest: {@code Authorization} and {@code Proxy-Authorization} are left
 * out, as are headers that describe the connection rather than the request.
 *
 * <p>Only header names of letters, digits and {@code -} become variables. {@code -}, {@code _} and {@code .} all
 * map to {@code _}, so {@code X_Forwarded_For} or {@code X.Forwarded.For} would otherwise fold into
 * {@code HTTP_X_FORWARDED_FOR} beside (or instead of) the header a proxy set: a client could spoof it. Such names are
 * dropped, as nginx does by default ({@code underscores_in_headers off}, {@code ignore_invalid_headers on}).
 */
public final class WagiEnvironment {
    private static final Set<String> WITHHELD = Set.of("authorization", "proxy-authorization", "connection",
            "keep-alive", "upgrade", "http2-settings", "te", "transfer-encoding", "content-type", "content-length");

    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9-]+");

    private WagiEnvironment() {}

    /**
     * @param scriptName the route the function is mounted at, e.g. {@code /v1/functions/hello/invoke}
     * @param pathInfo   what follows it ({@code /} or more)
     * @param headers    request headers, name to values, as received
     */
    public static Map<String, String> of(String method, String scriptName, String pathInfo, String rawQuery,
                                         String contentType, long contentLength, String serverName, int serverPort,
                                         String remoteAddr, Map<String, List<String>> headers) {
        Map<String, String> env = new LinkedHashMap<>();
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
        headers.forEach((name, values) -> {
            if (!WITHHELD.contains(name.toLowerCase(Locale.ROOT)) && PLAIN_NAME.matcher(name).matches()) {
                env.merge(variable(name), String.join(", ", values), (a, b) -> a + ", " + b);
            }
        });
        return env;
    }

    static String variable(String header) {
        StringBuilder name = new StringBuilder("HTTP_");
        for (char c : header.toCharArray()) {
            name.append(Character.isLetterOrDigit(c) ? Character.toUpperCase(c) : '_');
        }
        return name.toString();
    }
}
