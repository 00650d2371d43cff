package dev.sluice.gateway.wagi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

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
        // Per invocation: the lines are found by a scan (a line ends at LF, a CR before it is dropped, a lone CR is
        // kept and refused below), and names and values are checked char by char, without regexes.
        String block = new String(stdout, 0, split[0], StandardCharsets.ISO_8859_1);
        List<Header> parsed = new ArrayList<>();
        int start = 0;
        while (start <= block.length()) {
            int newline = block.indexOf('\n', start);
            int next = newline < 0 ? block.length() + 1 : newline + 1;
            int end = newline < 0 ? block.length() : newline > start && block.charAt(newline - 1) == '\r'
                    ? newline - 1 : newline;
            int colon = block.indexOf(':', start);
            if (colon < 0 || colon >= end) {
                return plain(stdout);
            }
            if (colon == start || !isToken(block, start, colon)) {
                return plain(stdout);
            }
            String name = block.substring(start, colon);
            String value = block.substring(colon + 1, end).strip();
            if (hasControl(value)) {
                // A lone CR or another control character could split the response for a lenient client or proxy.
                throw new InvalidCgiResponse("header " + name + " holds a control character");
            }
            parsed.add(new Header(name, value));
            start = next;
        }
        if (parsed.size() > MAX_HEADERS) {
            throw new InvalidCgiResponse("more than " + MAX_HEADERS + " headers");
        }
        byte[] body = Arrays.copyOfRange(stdout, split[1], stdout.length);
        return fromHeaders(parsed, body);
    }

    /** RFC 9110 token characters: {@code !#$%&'*+-.^_`|~}, digits and letters. */
    private static boolean isToken(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            boolean token = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c < 0x80 && "!#$%&'*+.^_`|~-".indexOf(c) >= 0;
            if (!token) {
                return false;
            }
        }
        return true;
    }

    /** Any of 0x00-0x08, 0x0a-0x1f, 0x7f: every control character but the tab. */
    private static boolean hasControl(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                return true;
            }
        }
        return false;
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
