package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.function.Function;
import javax.net.ssl.SSLParameters;

/**
 * The one place the client speaks HTTP: builds requests against the base URI with the bearer credential, sends them,
 * and turns a non-2xx answer into a {@link SluiceProblem} and an I/O failure into a {@link SluiceTransportException}.
 * Thread-safe (the JDK client is); the credential is only ever put in the {@code Authorization} header.
 */
final class Http implements AutoCloseable {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final String credential;
    private final HttpClient client;

    Http(URI base, String credential) {
        Objects.requireNonNull(base, "base");
        if (!("http".equals(base.getScheme()) || "https".equals(base.getScheme())) || base.getHost() == null) {
            throw new IllegalArgumentException("base: not an http(s) URL with a host (expected: http://host:port)");
        }
        this.base = base;
        this.credential = Objects.requireNonNull(credential, "credential");
        // HTTP/1.1: no h2c upgrade attempt on every first request (Sluice speaks HTTP/1.1 to clients).
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT);
        if ("http".equals(base.getScheme())) {
            builder.sslContext(new NoTls()).sslParameters(new SSLParameters());
        }
        this.client = builder.build();
    }

    /**
     * Stops the HTTP client's selector thread and waits for it. A JVM that exits while a thread of its own sits in
     * native code (the selector's poll) waits up to 300 ms for it (HotSpot's exit sequence): most of a command's time.
     */
    @Override
    public void close() {
        client.close();
    }

    /** The server's address as it may be shown: scheme, host and port, never user info. */
    String address() {
        return base.getScheme() + "://" + base.getHost() + (base.getPort() < 0 ? "" : ":" + base.getPort());
    }

    HttpRequest.Builder request(String pathAndQuery) {
        String root = base.toString().endsWith("/") ? base.toString().substring(0, base.toString().length() - 1)
                : base.toString();
        return HttpRequest.newBuilder(URI.create(root + pathAndQuery))
                .header("Authorization", "Bearer " + credential)
                .timeout(CALL_TIMEOUT);
    }

    /** A JSON call: the answer's body as a tree, or {@code null} for an answer without one (204). */
    JsonNode call(String method, String pathAndQuery, JsonNode body) {
        HttpRequest.Builder request = request(pathAndQuery).header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        }
        return parse(checked(send(request.build())));
    }

    HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw new SluiceTransportException("cannot reach " + address() + ": connect timed out", e);
        } catch (HttpTimeoutException e) {
            throw new SluiceTransportException(address() + " did not answer in time", e);
        } catch (ConnectException e) {
            throw new SluiceTransportException("cannot reach " + address() + ": connection refused", e);
        } catch (IOException e) {
            throw new SluiceTransportException("cannot reach " + address() + ": " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SluiceTransportException("interrupted while talking to " + address(), e);
        }
    }

    /** The response if it is a success, else its problem. */
    HttpResponse<byte[]> checked(HttpResponse<byte[]> response) {
        if (response.statusCode() / 100 != 2) {
            throw problem(response);
        }
        return response;
    }

    SluiceProblem problem(HttpResponse<byte[]> response) {
        return SluiceProblem.of(response.statusCode(),
                response.headers().firstValue("Content-Type").orElse(null), response.body());
    }

    JsonNode parse(HttpResponse<byte[]> response) {
        if (response.body().length == 0) {
            return null;
        }
        try {
            return Json.read(response.body());
        } catch (IOException e) {
            throw new SluiceTransportException(address() + " answered HTTP " + response.statusCode()
                    + " with a body that is not JSON", e);
        }
    }

    /** One path segment, percent-encoded, so a name can never reach another route ({@code ..}, {@code /}, {@code ?}). */
    static String segment(String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException("name: empty (expected: [a-z0-9][a-z0-9-]{0,62})");
        }
        String encoded = URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
        return encoded.equals(".") || encoded.equals("..") ? encoded.replace(".", "%2E") : encoded;
    }

    static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * Appends {@code name=value} to a query being built: after {@code ?} when it is the first parameter, else after
     * {@code &}. {@code value} goes in as given (the caller encodes what needs it).
     */
    static void param(StringBuilder query, String name, String value) {
        query.append(query.isEmpty() ? "?" : "&").append(name).append('=').append(value);
    }

    /** The usage endpoints' query: {@code ?days=N}, or nothing for the server's default. */
    static String days(OptionalInt days) {
        return days.isPresent() ? "?days=" + days.getAsInt() : "";
    }

    /** A GET of a list: each element of the body's {@code member} array parsed, with the body as sent. */
    <T> Listing<T> list(String path, String member, Function<JsonNode, T> parse) {
        JsonNode body = call("GET", path, null);
        List<T> items = new ArrayList<>();
        Fields.array(body, member).forEach(item -> items.add(parse.apply(item)));
        return new Listing<>(items, body);
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        String kind = e.getClass().getSimpleName();
        if (e.getCause() instanceof java.nio.channels.UnresolvedAddressException) {
            return "unknown host";
        }
        return message == null || message.isBlank() ? kind : kind + ": " + SluiceProblem.printable(message);
    }
}
