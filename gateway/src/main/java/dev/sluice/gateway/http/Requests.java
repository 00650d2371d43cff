package dev.sluice.gateway.http;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.http.HttpMediaType;
import io.helidon.http.RequestException;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;

/** Reading what a client sent, with every limit and format rule turned into a problem. */
public final class Requests {
    private static final System.Logger LOG = System.getLogger(Requests.class.getName());

    private Requests() {}

    /**
     * The body, at most {@code maxBytes}: a declared length over the cap is refused before reading, and a body that
     * streams past it is cut off, so an oversize request never costs more than the cap in memory.
     */
    public static byte[] body(ServerRequest req, long maxBytes, ProblemType overCap, String what) {
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > maxBytes) {
            throw tooLarge(overCap, what, maxBytes);
        }
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        InputStream in = req.content().inputStream();
        byte[] bytes;
        try {
            // One byte past the cap tells "over" from "exactly at"; capped first, so no cap can overflow the count.
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 9L, maxBytes) + 1);
        } catch (IOException | UncheckedIOException | CloseConnectionException e) {
            throw connectionBroken(what, e);
        } catch (DataReader.InsufficientDataAvailableException e) {
            // The client ended its side before the body did (gave up, or sent less than it declared): its fault, and
            // it may still read the answer. The connection cannot carry another request.
            LOG.log(Level.DEBUG, () -> what + " ended early: " + e);
            throw ProblemException.of(ProblemType.INVALID_REQUEST, what + " ended before " + (declared.isPresent()
                            ? "the " + declared.getAsLong() + " bytes its Content-Length declares" : "its last chunk"))
                    .header("Connection", "close");
        } catch (RequestException | HttpException e) {
            throw e; // Helidon's own refusal (over its backstop, say): its direct handler answers
        } catch (RuntimeException e) {
            // A broken body, such as a chunk size that is not hex. Closing the stream would wait for a next chunk
            // that never comes (the client waits for our answer): answer now and close the connection instead.
            throw ProblemException.of(ProblemType.INVALID_REQUEST, what + " is not valid HTTP/1.1 framing")
                    .header("Connection", "close");
        }
        if (bytes.length > maxBytes) {
            // Not drained: reading the rest would cost what the cap is there to spare.
            throw tooLarge(overCap, what, maxBytes).header("Connection", "close");
        }
        try {
            in.close(); // at the end already: readNBytes stopped short of its count
        } catch (IOException | UncheckedIOException e) {
            throw connectionBroken(what, e);
        }
        return bytes;
    }

    /**
     * The connection failed under a read (reset by the client, say): nobody is left to read an answer, and writing one
     * would only log a failed write. Helidon closes a connection on this exception without a response, logging at
     * TRACE; it is the client's doing, so never an ERROR here either.
     */
    private static CloseConnectionException connectionBroken(String what, Exception e) {
        LOG.log(Level.DEBUG, () -> "connection broken while reading the " + what + ": " + e);
        return e instanceof CloseConnectionException close ? close
                : new CloseConnectionException("connection broken while reading the " + what, e);
    }

    private static ProblemException tooLarge(ProblemType type, String what, long maxBytes) {
        ProblemException problem = ProblemException.of(type, what + " is larger than " + maxBytes + " bytes")
                .with("max-bytes", maxBytes);
        return type == ProblemType.MODULE_REJECTED ? problem.with("reason", "too-large") : problem;
    }

    /** Requires the body's media type to be {@code expected} (parameters such as charset are allowed). */
    public static void requireContentType(ServerRequest req, String expected) {
        Optional<HttpMediaType> type = req.headers().contentType();
        if (type.isEmpty() || !type.get().mediaType().text().equalsIgnoreCase(expected)) {
            String got = type.map(t -> t.mediaType().text()).orElse("none");
            throw ProblemException.of(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                    "Content-Type must be " + expected + " (got: " + got + ")").with("expected", expected);
        }
    }

    /** A JSON body is optional, but when present it must be declared as JSON. */
    public static byte[] jsonBody(ServerRequest req, long maxBytes) {
        byte[] body = body(req, maxBytes, ProblemType.PAYLOAD_TOO_LARGE, "body");
        if (body.length > 0) {
            requireContentType(req, "application/json");
        }
        return body;
    }

    /** The token of an {@code Authorization: Bearer <token>} header, if there is exactly one well-formed one. */
    public static Optional<String> bearerToken(ServerRequest req) {
        var headers = req.headers();
        if (!headers.contains(HeaderNames.AUTHORIZATION)) {
            return Optional.empty();
        }
        // One header line without a comma is one value as values() splits them; values() itself tokenizes into a
        // new list on every request, so it is asked only for the odd header.
        var header = headers.get(HeaderNames.AUTHORIZATION);
        String value = header.valueCount() == 1 ? header.get() : null;
        if (value == null || value.indexOf(',') >= 0) {
            var values = headers.values(HeaderNames.AUTHORIZATION);
            if (values.size() != 1) {
                return Optional.empty();
            }
            value = values.getFirst();
        }
        if (value.length() < 8 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        String token = value.substring(7).strip();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }

    /** A positive integer query parameter, if given. */
    public static OptionalLong positiveQueryLong(ServerRequest req, String name) {
        if (!req.query().contains(name)) {
            return OptionalLong.empty();
        }
        String raw = req.query().get(name);
        try {
            long value = Long.parseLong(raw);
            if (value > 0) {
                return OptionalLong.of(value);
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ProblemException.of(ProblemType.INVALID_REQUEST, name + ": '" + raw + "' (expected: an integer > 0)");
    }

    /**
     * A {@code true} / {@code false} query parameter, if given; any other value is an invalid request naming the
     * parameter and showing the value as {@code shown} bounds it.
     */
    public static Optional<Boolean> queryBoolean(ServerRequest req, String name, UnaryOperator<String> shown) {
        if (!req.query().contains(name)) {
            return Optional.empty();
        }
        String raw = req.query().get(name);
        if (raw.equals("true")) {
            return Optional.of(true);
        }
        if (raw.equals("false")) {
            return Optional.of(false);
        }
        throw ProblemException.of(ProblemType.INVALID_REQUEST,
                name + ": '" + shown.apply(raw) + "' (expected: true or false)");
    }

    /**
     * Client text echoed into a message: every character outside printable ASCII as {@code ?}, cut to {@code max}
     * characters and {@code ...}, so a message never carries control characters or an unbounded echo.
     */
    public static String printable(String text, int max) {
        String printable = text.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > max ? printable.substring(0, max) + "..." : printable;
    }
}
