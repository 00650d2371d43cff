package dev.sluice.gateway.wagi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A function's stdout read as a CGI response (RFC 3875 §6): header lines, a blank line, then the body. A
 * {@code Status:} header sets the code, a {@code Location:} alone means 302. Output that does not start with a valid
 * header block is not an error: the whole of it becomes a {@code text/plain} body, so the simplest program works.
 *
 * <p>Headers that would break HTTP framing or impersonate the gateway (hop-by-hop, {@code Content-Length},
 * {@code RateLimit*}, {@code Sluice-*}) are dropped: the function controls its content, not the connection.
 */
public record CgiResponse(int status, List<Header> headers, byte[] body) {
    public static final String DEFAULT_CONTENT_TYPE = "text/plain; charset=utf-8";
    private static final int MAX_HEADERS = 100;
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x08\\x0a-\\x1f\\x7f]");
    private static final Set<String> DROPPED = Set.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "upgrade", "te", "trailer", "proxy-authenticate", "proxy-connection", "status");

    public record Header(String name, String value) {}

    /**
     * @throws InvalidCgiResponse when the header block is well-formed but says something HTTP cannot carry (a bad
     *                            status, too many headers)
     */
    public static CgiResponse parse(byte[] stdout) {
        int[] split = headerBlockEnd(stdout);
        if (split == null) {
            return plain(stdout);
        }
        String block = new String(stdout, 0, split[0], StandardCharsets.ISO_8859_1);
        List<Header> parsed = new ArrayList<>();
        for (String line : block.split("\r?\n", -1)) {
            int colon = line.indexOf(':');
            if (colon <= 0 || !HEADER_NAME.matcher(line.substring(0, colon)).matches()) {
                return plain(stdout);
            }
            String value = line.substring(colon + 1).strip();
            if (CONTROL.matcher(value).find()) {
                // A lone CR or another control character could split the response for a lenient client or proxy.
                throw new InvalidCgiResponse("header " + line.substring(0, colon)
                        + " holds a control character");
            }
            parsed.add(new Header(line.substring(0, colon), value));
        }
        if (parsed.size() > MAX_HEADERS) {
            throw new InvalidCgiResponse("more than " + MAX_HEADERS + " headers");
        }
        byte[] body = Arrays.copyOfRange(stdout, split[1], stdout.length);
        return fromHeaders(parsed, body);
    }

    private static CgiResponse fromHeaders(List<Header> parsed, byte[] body) {
        Integer status = null;
        boolean location = false;
        boolean contentType = false;
        List<Header> kept = new ArrayList<>();
        for (Header header : parsed) {
            String lower = header.name().toLowerCase(Locale.ROOT);
            if (lower.equals("status")) {
                status = parseStatus(header.value());
            }
            location |= lower.equals("location");
            contentType |= lower.equals("content-type");
            if (!DROPPED.contains(lower) && !lower.startsWith("ratelimit") && !lower.startsWith("sluice-")) {
                kept.add(header);
            }
        }
        if (!contentType) {
            kept.add(new Header("Content-Type", DEFAULT_CONTENT_TYPE));
        }
        int code = status != null ? status : location ? 302 : 200;
        return new CgiResponse(code, List.copyOf(kept), body);
    }

    private static int parseStatus(String value) {
        String code = value.length() >= 3 ? value.substring(0, 3) : value;
        try {
            int parsed = Integer.parseInt(code);
            boolean separated = value.length() == 3 || value.charAt(3) == ' ';
            if (parsed >= 200 && parsed <= 599 && separated) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new InvalidCgiResponse("Status header '" + value + "' (expected: a code 200..599 and a reason)");
    }

    private static CgiResponse plain(byte[] stdout) {
        return new CgiResponse(200, List.of(new Header("Content-Type", DEFAULT_CONTENT_TYPE)), stdout);
    }

    /** {start of blank line, start of body}, or null when there is no header block terminator. */
    private static int[] headerBlockEnd(byte[] out) {
        for (int i = 0; i < out.length; i++) {
            if (out[i] != '\n') {
                continue;
            }
            if (i == 0) {
                return null; // a leading blank line: there is no header block
            }
            if (i + 1 < out.length && out[i + 1] == '\n') {
                return new int[] {out[i - 1] == '\r' ? i - 1 : i, i + 2};
            }
            if (i + 2 < out.length && out[i + 1] == '\r' && out[i + 2] == '\n') {
                return new int[] {out[i - 1] == '\r' ? i - 1 : i, i + 3};
            }
        }
        return null;
    }

    /** The function's output claims to be CGI but cannot be turned into an HTTP response. */
    public static final class InvalidCgiResponse extends RuntimeException {
        public InvalidCgiResponse(String message) {
            super(message, null, false, false);
        }
    }
}
