package dev.sluice.config.vault;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP server that misbehaves the ways {@link dev.sluice.config.testing.VaultTestServer} does not: it
 * answers lookup-self with a valid never-expiring token, and every other request as its {@link Mode} says (headers
 * then a stalled body, a body past the size cap, a hostile version number). For the bounds of one exchange.
 */
final class ScriptedVault implements AutoCloseable {
    enum Mode {
        /** Headers with Content-Length 1000, one byte of body, then nothing. */
        STALL_BODY,
        /** Every request, lookup-self included, stalls its body. */
        STALL_ALL,
        /** A chunked body of {@code hugeBytes} bytes. */
        HUGE_BODY,
        /** KV metadata whose current_version is above 2^31. */
        HUGE_VERSION,
        /** lookup-self with a ttl near Long.MAX seconds; everything else 404. */
        HUGE_TTL
    }

    static final String LOOKUP = "{\"data\":{\"accessor\":\"a\",\"creation_time\":1,\"creation_ttl\":0,"
            + "\"display_name\":\"token\",\"entity_id\":\"\",\"expire_time\":null,\"explicit_max_ttl\":0,\"id\":\"t\","
            + "\"meta\":null,\"num_uses\":0,\"orphan\":true,\"path\":\"auth/token/create\",\"policies\":[\"root\"],"
            + "\"renewable\":false,\"ttl\":0,\"type\":\"service\"}}";

    private final HttpServer server;
    private final ExecutorService threads;
    private final Mode mode;
    private final long hugeBytes;
    final AtomicInteger requests = new AtomicInteger();

    private ScriptedVault(Mode mode, long hugeBytes) throws IOException {
        this.mode = mode;
        this.hugeBytes = hugeBytes;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "scripted-vault");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    static ScriptedVault start(Mode mode) throws IOException {
        return new ScriptedVault(mode, 16L * 1024 * 1024);
    }

    String address() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange x) throws IOException {
        requests.incrementAndGet();
        x.getRequestBody().readAllBytes();
        x.getResponseHeaders().set("Content-Type", "application/json");
        String path = x.getRequestURI().getPath();
        if (path.endsWith("/lookup-self") && mode != Mode.STALL_ALL) {
            byte[] b = (mode == Mode.HUGE_TTL ? LOOKUP.replace("\"ttl\":0", "\"ttl\":9223372036854775807")
                    .replace("\"renewable\":false", "\"renewable\":true") : LOOKUP).getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(b);
            }
            return;
        }
        switch (mode) {
            case STALL_BODY, STALL_ALL -> {
                x.sendResponseHeaders(200, 1000);
                OutputStream out = x.getResponseBody();
                out.write('{');
                out.flush();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                x.close();
            }
            case HUGE_BODY -> {
                x.sendResponseHeaders(200, 0);
                byte[] chunk = new byte[64 * 1024];
                Arrays.fill(chunk, (byte) 'a');
                try (OutputStream out = x.getResponseBody()) {
                    out.write("{\"data\":{\"x\":\"".getBytes(StandardCharsets.US_ASCII));
                    for (long w = 0; w < hugeBytes; w += chunk.length) {
                        out.write(chunk);
                    }
                    out.write("\"}}".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the client gave up reading, as it should
                }
            }
            case HUGE_TTL -> {
                x.sendResponseHeaders(404, -1);
                x.close();
            }
            case HUGE_VERSION -> {
                byte[] b = ("{\"data\":{\"current_version\":3000000000,\"created_time\":\"2026-11-29T00:00:00Z\","
                        + "\"updated_time\":\"2026-11-29T00:00:00Z\",\"versions\":{\"3000000000\":{"
                        + "\"created_time\":\"2026-11-29T00:00:00Z\",\"deletion_time\":\"\",\"destroyed\":false}}}}")
                        .getBytes(StandardCharsets.UTF_8);
                x.sendResponseHeaders(200, b.length);
                try (OutputStream out = x.getResponseBody()) {
                    out.write(b);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
