package dev.sluice.gateway.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.Sluice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A real Sluice for the console's tests (the public builder, as {@code Main} uses it, on a free loopback port with
 * the system clock: the browser's "today" and the live page's seconds are real ones), with a small HTTP client and a
 * raw-socket exchange for request lines no client would send.
 */
final class ConsoleServer implements AutoCloseable {
    static final String ADMIN_TOKEN = "console-test-admin-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Sluice sluice;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ConsoleServer(Sluice sluice) {
        this.sluice = sluice;
    }

    static ConsoleServer start(Path dataDir) {
        return new ConsoleServer(Sluice.builder()
                .config(SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dataDir.toString(),
                        "workers", "2", "default-requests-per-second", "1000", "default-burst", "1000")))
                .adminToken(Optional.of(ADMIN_TOKEN))
                .start());
    }

    int port() {
        return sluice.port();
    }

    String base() {
        return "http://127.0.0.1:" + port();
    }

    record Reply(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + this, e);
            }
        }

        /** The problem's type slug, after checking the body is a complete problem document. */
        String problemType() {
            String type = header("content-type");
            if (type == null || !type.startsWith("application/problem+json")) {
                throw new AssertionError("not a problem (" + type + "): " + this);
            }
            JsonNode json = json();
            if (json.get("status").asInt() != status || !json.hasNonNull("title") || !json.hasNonNull("detail")) {
                throw new AssertionError("incomplete problem: " + this);
            }
            return json.get("type").asText().replace("https://sluice.dev/problems/", "");
        }

        @Override
        public String toString() {
            return status + " " + headers + " " + text();
        }
    }

    /** One request over java.net.http; {@code token} and {@code body} may be null. */
    Reply call(String method, String path, String token, byte[] body, String contentType, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            Map<String, String> names = new LinkedHashMap<>();
            response.headers().map().forEach((name, values) -> names.put(name.toLowerCase(Locale.ROOT),
                    String.join(", ", values)));
            return new Reply(response.statusCode(), names, response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Reply get(String path, String token) {
        return call("GET", path, token, null, null);
    }

    Reply admin(String method, String path, String json) {
        return call(method, path, ADMIN_TOKEN, json == null ? null : json.getBytes(StandardCharsets.UTF_8),
                json == null ? null : "application/json");
    }

    /**
     * {@code GET rawTarget} sent byte for byte over a socket (no client normalises or encodes it), and the one
     * response read back (by its Content-Length, or to the end of the connection without one).
     */
    Reply raw(String rawTarget) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + rawTarget + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new AssertionError(rawTarget + ": connection closed in the response head: " + head);
                }
                head.write(b);
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).strip().split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
            String length = headers.get("content-length");
            byte[] body = length != null ? in.readNBytes(Integer.parseInt(length)) : in.readAllBytes();
            return new Reply(status, headers, body);
        } catch (IOException e) {
            throw new UncheckedIOException(rawTarget, e);
        }
    }

    @Override
    public void close() {
        sluice.stop();
    }

    /** The console's shipped files, read from the module's sources (tests run in the gateway directory). */
    static Path sources() {
        return Path.of("src/main/resources/admin-ui");
    }
}
