package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The server answered with an error: an RFC 9457 problem ({@code type}, {@code title}, {@code status},
 * {@code detail} and the problem's other members, such as {@code retry-after} or {@code reason}), or a response that
 * is not one (a proxy's HTML page, say), described as well as it can be: {@code about:blank}, the status's reason
 * phrase and the start of the body. Sluice's types are {@code https://sluice.dev/problems/<name>}
 * (docs/problems.md); {@link #shortType()} is the name.
 *
 * <p>{@link #getMessage()} is one printable line: {@code <title> (<short type>, HTTP <status>): <detail>}, with
 * control characters replaced and its parts bounded, whatever the server sent.
 */
public final class SluiceProblem extends SluiceException {
    private static final long serialVersionUID = 1L;
    static final String SLUICE_TYPES = "https://sluice.dev/problems/";
    /** Bounds what a problem puts in a line: a server's detail is short, a proxy's page is not. */
    private static final int MAX_PART = 500;

    private final String type;
    private final String title;
    private final int status;
    private final String detail;
    private final transient Map<String, JsonNode> members;

    private SluiceProblem(String type, String title, int status, String detail, Map<String, JsonNode> members) {
        super(line(title, shortType(type), status, detail), null);
        this.type = type;
        this.title = title;
        this.status = status;
        this.detail = detail;
        this.members = Collections.unmodifiableMap(members);
    }

    /**
     * The problem a response describes: its JSON body when it is a problem document (or any JSON object with a
     * {@code title} or {@code type}), else one made of the status and the body's first line.
     */
    public static SluiceProblem of(int status, String contentType, byte[] body) {
        String media = contentType == null ? "" : contentType.toLowerCase(java.util.Locale.ROOT);
        if (media.startsWith("application/problem+json") || media.startsWith("application/json")) {
            try {
                JsonNode node = Json.read(body);
                if (node instanceof ObjectNode object && (object.has("type") || object.has("title"))) {
                    return of(status, object);
                }
            } catch (IOException e) {
                // Not JSON after all: described from its text below.
            }
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        int end = text.indexOf('\n');
        String first = end < 0 ? text : text.substring(0, end);
        return new SluiceProblem("about:blank", reason(status), status,
                first.isEmpty() ? "the server answered HTTP " + status + " without a problem document" : first,
                Map.of());
    }

    /** The problem a problem document describes; {@code status} is the response's, used when the body has none. */
    public static SluiceProblem of(int status, ObjectNode problem) {
        Map<String, JsonNode> members = new LinkedHashMap<>();
        problem.properties().forEach(e -> members.put(e.getKey(), e.getValue()));
        String type = text(members.remove("type"), "about:blank");
        JsonNode statusMember = members.remove("status");
        int code = statusMember != null && statusMember.canConvertToInt() ? statusMember.asInt() : status;
        String title = text(members.remove("title"), reason(code));
        String detail = text(members.remove("detail"), "");
        return new SluiceProblem(type, title, code, detail, members);
    }

    public String type() {
        return type;
    }

    /** The last segment of {@link #type()}: {@code rate-limited} for {@code https://sluice.dev/problems/rate-limited}. */
    public String shortType() {
        return shortType(type);
    }

    public String title() {
        return title;
    }

    public int status() {
        return status;
    }

    public String detail() {
        return detail;
    }

    /** The problem's other members ({@code instance}, {@code retry-after}, {@code reason}, ...), as sent. */
    public Map<String, JsonNode> members() {
        return members == null ? Map.of() : members;
    }

    public Optional<JsonNode> member(String name) {
        return Optional.ofNullable(members().get(name));
    }

    private static String shortType(String type) {
        String trimmed = type.endsWith("/") ? type.substring(0, type.length() - 1) : type;
        return trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }

    private static String text(JsonNode node, String otherwise) {
        return node == null || node.isNull() ? otherwise : node.isTextual() ? node.asText() : node.toString();
    }

    static String line(String title, String shortType, int status, String detail) {
        String head = printable(title) + " (" + printable(shortType) + ", HTTP " + status + ")";
        String rest = printable(detail);
        return rest.isEmpty() ? head : head + ": " + rest;
    }

    /** One line whatever the server sent: control characters become spaces, long parts end in an ellipsis. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_PART + 1));
        text.codePoints().limit(MAX_PART + 1L).forEach(c ->
                out.appendCodePoint(Character.isISOControl(c) || c == 0x2028 || c == 0x2029 ? ' ' : c));
        if (out.codePointCount(0, out.length()) > MAX_PART) {
            out.setLength(out.offsetByCodePoints(0, MAX_PART));
            out.append('…');
        }
        return out.toString().strip();
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 415 -> "Unsupported Media Type";
            case 422 -> "Unprocessable Content";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "HTTP " + status;
        };
    }
}
