package dev.sluice.client;

import java.io.BufferedOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The tenant API ({@code /v1}, with an API key): deploy, invoke, list, show and delete functions, read their logs
 * and the tenant's usage. Every call blocks; a non-2xx answer throws {@link SluiceProblem} (except
 * {@link #invoke}, whose answer is the function's), a failed exchange {@link SluiceTransportException}.
 * Thread-safe. Create with {@link #create}; {@link #close} when done.
 */
public final class SluiceClient implements AutoCloseable {
    /** A deploy uploads and checks a module of up to a GiB: longer than a JSON call may take. */
    private static final Duration DEPLOY_TIMEOUT = Duration.ofMinutes(10);
    /** The longest a function may run is the tenant's {@code max-timeout-ms}; the gateway answers by then. */
    private static final Duration INVOKE_TIMEOUT = Duration.ofMinutes(10);

    private final Http http;

    private SluiceClient(Http http) {
        this.http = http;
    }

    /** A client for the server at {@code url} ({@code http://host:port}) calling with API key {@code key}. */
    public static SluiceClient create(URI url, String key) {
        return new SluiceClient(new Http(url, key));
    }

    /** Ends the client's connections and its selector thread (waiting for calls in progress). */
    @Override
    public void close() {
        http.close();
    }

    /** The server's address as it may be shown (no user info). */
    public String address() {
        return http.address();
    }

    /**
     * Uploads the module in {@code module} (streamed from the file, never held in memory) as function {@code name},
     * telling {@code progress} as the bytes go.
     */
    public Deployment deploy(String name, Path module, DeployOptions options, UploadProgress progress) {
        HttpRequest.BodyPublisher file;
        try {
            file = HttpRequest.BodyPublishers.ofFile(module);
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("module: no file " + module);
        }
        HttpResponse<byte[]> response = upload("/v1/functions/" + Http.segment(name) + options.query(),
                "application/wasm", file, progress);
        return new Deployment(response.statusCode() == 201, FunctionInfo.from(http.parse(response)));
    }

    /**
     * Replaces function {@code name}'s assets with {@code source}: a directory (archived as a tar on the way, through
     * a temporary file, see {@link TarWriter}) or a tar file as it is; streamed, never held in memory.
     *
     * @throws IllegalArgumentException when {@code source} is neither, or the directory holds a link or a device
     */
    public AssetsInfo putAssets(String name, Path source, AssetsPlacement placement, UploadProgress progress) {
        Path tar = source;
        boolean temporary = Files.isDirectory(source);
        try {
            if (temporary) {
                tar = Files.createTempFile("sluice-assets-", ".tar");
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tar))) {
                    TarWriter.write(source, out);
                }
            } else if (!Files.isRegularFile(source)) {
                throw new IllegalArgumentException("assets: no file or directory " + source);
            }
            return AssetsInfo.from(http.parse(upload("/v1/functions/" + Http.segment(name) + "/assets"
                    + placement.query(), "application/x-tar", HttpRequest.BodyPublishers.ofFile(tar), progress)));
        } catch (IOException e) {
            throw new UncheckedIOException("assets: cannot read " + source + ": " + e.getMessage(), e);
        } finally {
            if (temporary && !tar.equals(source)) {
                try {
                    Files.deleteIfExists(tar);
                } catch (IOException e) {
                    // A file left in the temporary directory is all this costs.
                }
            }
        }
    }

    /** A PUT of a file's bytes, telling {@code progress} as they go; a non-2xx answer is a problem. */
    private HttpResponse<byte[]> upload(String path, String contentType, HttpRequest.BodyPublisher file,
                                        UploadProgress progress) {
        HttpRequest request = http.request(path)
                .timeout(DEPLOY_TIMEOUT)
                .header("Content-Type", contentType)
                .header("Accept", "application/json")
                .PUT(new CountingPublisher(file, progress))
                .build();
        return http.checked(http.send(request));
    }

    /** Function {@code name}'s assets; a problem ({@code not-found}) when it has none. */
    public AssetsInfo assets(String name) {
        return AssetsInfo.from(http.call("GET", "/v1/functions/" + Http.segment(name) + "/assets", null));
    }

    /** Removes function {@code name}'s assets (whether or not it had any). */
    public void deleteAssets(String name) {
        http.call("DELETE", "/v1/functions/" + Http.segment(name) + "/assets", null);
    }

    /** Runs a function; any answer the function or Sluice gives is returned, problems included (see {@link Invocation}). */
    public Invocation invoke(InvokeRequest call) {
        HttpRequest.Builder request = http.request("/v1/functions/" + Http.segment(call.function()) + "/invoke"
                + call.path()).timeout(INVOKE_TIMEOUT);
        for (Header header : call.headers()) {
            try {
                request.header(header.name(), header.value());
            } catch (IllegalArgumentException e) {
                // The JDK sets Host, Content-Length, Connection, Expect and Upgrade itself.
                throw new IllegalArgumentException("header " + header.name() + ": set by the client itself");
            }
        }
        request.method(call.method(), call.body().length == 0 && !"POST".equals(call.method())
                && !"PUT".equals(call.method()) ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(call.body()));
        HttpResponse<byte[]> response = http.send(request.build());
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        Optional<SluiceProblem> problem = contentType.startsWith("application/problem+json")
                ? Optional.of(http.problem(response)) : Optional.empty();
        OptionalLong fuel = response.headers().firstValue("Sluice-Fuel-Used").map(v -> {
            try {
                return OptionalLong.of(Long.parseLong(v.strip()));
            } catch (NumberFormatException e) {
                return OptionalLong.empty();
            }
        }).orElse(OptionalLong.empty());
        return new Invocation(response.statusCode(), response.headers(), response.body(), fuel,
                response.headers().firstValue("Sluice-Invocation-Id"), problem);
    }

    public Listing<FunctionInfo> functions() {
        return http.list("/v1/functions", "functions", FunctionInfo::from);
    }

    public FunctionInfo function(String name) {
        return FunctionInfo.from(http.call("GET", "/v1/functions/" + Http.segment(name), null));
    }

    public void delete(String name) {
        http.call("DELETE", "/v1/functions/" + Http.segment(name), null);
    }

    /**
     * A function's log entries, oldest first: after {@code since} (an RFC 3339 time or an invocation id) when given,
     * else the newest; at most {@code limit} (1..100) when given.
     */
    public Listing<LogEntry> logs(String name, Optional<String> since, OptionalInt limit) {
        StringBuilder query = new StringBuilder();
        since.ifPresent(s -> Http.param(query, "since", Http.query(s)));
        limit.ifPresent(l -> Http.param(query, "limit", Integer.toString(l)));
        return http.list("/v1/functions/" + Http.segment(name) + "/logs" + query, "entries", LogEntry::from);
    }

    /** The tenant's usage over the last {@code days} UTC days (the server's default, today, when empty). */
    public Usage usage(OptionalInt days) {
        return Usage.from(http.call("GET", "/v1/usage" + Http.days(days), null));
    }
}
