package dev.sluice.tenancy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * A real Redis server for tests, on a free loopback port: the {@code redis-server} on the PATH when there is one,
 * else the binary shipped inside the {@code embedded-redis} artifact. Nothing is persisted. {@link #stop} and
 * {@link #start} let a test take Redis away and bring it back on the same port.
 */
public final class RedisTestServer implements AutoCloseable {
    private final int port;
    private RedisServer server;

    private RedisTestServer(int port) {
        this.port = port;
    }

    public static RedisTestServer start() {
        RedisTestServer redis = new RedisTestServer(freePort());
        redis.startServer();
        return redis;
    }

    public int port() {
        return port;
    }

    /** Whether the server accepts connections now (a test may have stopped it to simulate an outage). */
    public boolean listening() {
        try (var socket = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts Redis again on the same port after {@link #stop} (empty: nothing was persisted). */
    public void startServer() {
        try {
            server = RedisServer.newRedisServer()
                    .executableProvider(executable())
                    .bind("127.0.0.1")
                    .port(port)
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .onShutdownForceStop(true)
                    .build();
            server.start();
            awaitListening();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server on port " + port, e);
        }
    }

    /** Stops Redis; clients see connection failures until {@link #startServer} is called. */
    public void stop() {
        try {
            if (server != null && server.isActive()) {
                server.stop();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static ExecutableProvider executable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir, "redis-server");
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate::toFile;
            }
        }
        return ExecutableProvider.newJarResourceProvider();
    }

    private void awaitListening() throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.onSpinWait();
            }
        }
        throw new IOException("redis-server did not listen on port " + port + " within 10 s");
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "RedisTestServer[" + uri() + "]";
    }
}
