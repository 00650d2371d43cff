package dev.sluice.gateway.http;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import java.util.Locale;

/**
 * What the server answers when it refuses a request before (or outside) any route: a request line or headers it
 * cannot parse or that are too large, a body over its backstop, broken framing, an HTTP version it does not speak.
 * Helidon's own answer is an empty or HTML-escaped text body; this handler makes it the same RFC 9457 problem
 * document, with a stable type, as every other error, so a client has one error format to handle.
 *
 * <p>These are the client's faults: nothing here logs (Helidon logs them at DEBUG). The detail is the parser's
 * message made printable and short, never a stack trace.
 */
public final class ProblemDirectHandler implements DirectHandler {
    private static final int MAX_DETAIL = 200;
    private static final String HELIDON_UNSAFE_MESSAGE = "Bad request, see server log";

    private ProblemDirectHandler() {}

    /** A handler for every event type, for {@code WebServer.builder().directHandlers(...)}. */
    public static DirectHandlers handlers() {
        ProblemDirectHandler handler = new ProblemDirectHandler();
        DirectHandlers.Builder builder = DirectHandlers.builder();
        for (EventType type : EventType.values()) {
            builder.addHandler(type, handler);
        }
        return builder.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status defaultStatus,
                                    ServerResponseHeaders responseHeaders, String message) {
        ProblemException problem = problem(defaultStatus.code(), message);
        ServerResponseHeaders headers = ServerResponseHeaders.create(responseHeaders);
        problem.headers().forEach((name, value) -> headers.set(HeaderNames.create(name), value));
        headers.set(HeaderNames.CONTENT_TYPE, ErrorMapper.PROBLEM_JSON);
        headers.set(HeaderNames.CACHE_CONTROL, "no-store");
        String path = request.path();
        return TransportResponse.builder()
                .status(status(problem.type()))
                .headers(headers)
                .entity(ErrorMapper.body(problem, path == null || path.isEmpty() ? null : printable(path)))
                .build();
    }

    /** Helidon knows no reason phrase for 431 (it would send "431 431"). */
    private static Status status(ProblemType type) {
        return type.status() == 431
                ? Status.create(431, "Request Header Fields Too Large")
                : Status.create(type.status());
    }

    /**
     * The problem for a status the HTTP layer chose. Helidon reports headers over {@code max-headers-size} as a
     * plain 400; RFC 6585 has a code for it, which tells the client what to shorten.
     */
    static ProblemException problem(int status, String message) {
        // Helidon's stand-in for a message it deems unsafe points at a log the client cannot read: say nothing.
        String detail = message == null || message.isBlank() || message.startsWith(HELIDON_UNSAFE_MESSAGE) ? null
                : printable(message);
        return switch (status) {
            case 400 -> detail != null && detail.toLowerCase(Locale.ROOT).contains("header size exceeded")
                    ? ProblemException.of(ProblemType.REQUEST_HEADER_FIELDS_TOO_LARGE,
                            "the request headers are larger than the server accepts")
                    : ProblemException.of(ProblemType.INVALID_REQUEST,
                            detail == null ? "the request is not valid HTTP/1.1" : detail);
            case 403 -> ProblemException.of(ProblemType.FORBIDDEN, detail == null ? "forbidden" : detail);
            case 404 -> ProblemException.of(ProblemType.NOT_FOUND, detail == null ? "no such resource" : detail);
            case 413 -> ProblemException.of(ProblemType.PAYLOAD_TOO_LARGE,
                    "the request body is larger than the server accepts");
            case 414 -> ProblemException.of(ProblemType.URI_TOO_LONG,
                    "the request line is longer than the server accepts");
            case 431 -> ProblemException.of(ProblemType.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "the request headers are larger than the server accepts");
            case 501 -> ProblemException.of(ProblemType.NOT_IMPLEMENTED,
                    detail == null ? "the server does not support this request" : detail);
            case 503 -> ProblemException.of(ProblemType.OVERLOADED, "the server is busy; retry shortly")
                    .header("Retry-After", "1");
            case 505 -> ProblemException.of(ProblemType.HTTP_VERSION_NOT_SUPPORTED,
                    "only HTTP/1.1 is supported");
            default -> status >= 400 && status < 500
                    ? ProblemException.of(ProblemType.INVALID_REQUEST,
                            detail == null ? "the request was refused (" + status + ")" : detail)
                    : ProblemException.of(ProblemType.INTERNAL_ERROR, "the server could not complete the request");
        };
    }

    private static String printable(String text) {
        return Requests.printable(text, MAX_DETAIL);
    }
}
