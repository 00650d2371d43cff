package dev.sluice.loadtest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * The smallest OTLP/HTTP receiver that lets an exporter run as it would against a collector: on loopback, it answers
 * {@code 200} with an empty body (an empty export response, valid in protobuf and JSON) to every {@code POST} whose
 * path ends in {@code /v1/traces}, {@code /v1/metrics} or {@code /v1/logs}, and {@code 404} to anything else. It
 * decodes nothing: it counts requests and body bytes as they came over the wire (compressed, if the exporter
 * compresses) per path, so a load run with tracing on pays a real export, and its report says how much went out.
 * Bodies are read in 64 KiB chunks and dropped, so its memory does not grow with what it receives.
 */
final class OtlpSink implements AutoCloseable {
    private static final String[] SIGNALS = {"/v1/traces", "/v1/metrics", "/v1/logs"};

    /** What arrived on one path (method and path, e.g. {@code POST /v1/traces}). */
    record Count(long requests, long bytes) {}

    private final HttpServer server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, LongAdder[]> counts = new ConcurrentHashMap<>();

    private OtlpSink(HttpServer server) {
        this.server = server;
    }

    /** Listens on a free loopback port. */
    static OtlpSink start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        OtlpSink sink = new OtlpSink(server);
        server.setExecutor(sink.threads);
        server.createContext("/", sink::handle);
        server.start();
        return sink;
    }

    /** The base address an exporter is given ({@code http://127.0.0.1:PORT}); the signal paths go after it. */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream body = exchange.getRequestBody()) {
            long bytes = 0;
            byte[] buffer = new byte[65536];
            for (int n; (n = body.read(buffer)) >= 0; ) {
                bytes += n;
            }
            String path = exchange.getRequestURI().getPath();
            // The path is only counted as itself when it is one of the signals: anything else shares one entry, so a
            // client cannot grow the map.
            boolean signal = exchange.getRequestMethod().equals("POST") && endsWithSignal(path);
            String key = signal ? "POST " + path.substring(path.lastIndexOf("/v1/")) : "other";
            LongAdder[] count = counts.computeIfAbsent(key, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
            count[0].increment();
            count[1].add(bytes);
            if (signal) {
                exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, -1);
            } else {
                exchange.sendResponseHeaders(404, -1);
            }
        }
    }

    private static boolean endsWithSignal(String path) {
        for (String signal : SIGNALS) {
            if (path.endsWith(signal)) {
                return true;
            }
        }
        return false;
    }

    /** Requests and bytes so far by {@code "POST /v1/traces"} etc., and {@code "other"} for what was refused. */
    Map<String, Count> counts() {
        Map<String, Count> out = new TreeMap<>();
        counts.forEach((key, c) -> out.put(key, new Count(c[0].sum(), c[1].sum())));
        return out;
    }

    String describe() {
        Map<String, Count> now = counts();
        if (now.isEmpty()) {
            return "OTLP sink at " + endpoint() + ": nothing received";
        }
        StringBuilder out = new StringBuilder("OTLP sink at " + endpoint() + " received:");
        now.forEach((key, c) -> out.append(String.format("%n  %-20s %8d requests %12d bytes", key, c.requests(),
                c.bytes())));
        return out.toString();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
