package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.gateway.remote.RemoteDispatcher;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway → worker hop's failures that are not the worker's answer: a worker whose connection never opens is
 * skipped (the call never started), a dispatcher that cannot send reports nothing as lost, and no timeout is too
 * large to compute a deadline with.
 */
class HopFailuresTest {
    static final String SECRET = RemoteDispatchTest.SECRET;

    @TempDir
    Path dir;

    @RegisterExtension
    final InJvmCluster cluster = new InJvmCluster(() -> dir);

    /** Fills a listening socket's accept queue, so that a new connection's handshake never completes. */
    static boolean fill(ServerSocket server, InJvmCluster toClose) throws IOException {
        for (int i = 0; i < 16; i++) {
            Socket s = new Socket();
            toClose.closeAtEnd(s);
            try {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), 300);
            } catch (SocketTimeoutException e) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aWorkerWhoseConnectionNeverOpensIsSkippedAndTheCallRunsOnceOnAHealthyOne() throws IOException {
        ServerSocket stuck = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        cluster.closeAtEnd(stuck);
        assumeTrue(fill(stuck, cluster), "this kernel did not let the accept queue fill");
        WorkerRole b = cluster.worker("b");
        TestServer gateway = cluster.gateway(new WorkerAddress("stuck", "127.0.0.1", stuck.getLocalPort(), 4),
                b.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());

        Reply reply = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
        assertEquals(200, reply.status(), "a connect timeout is not a lost worker: " + reply);
        assertEquals(1, b.started());
        assertEquals(List.of("stuck:not-started", "b:succeeded"), cluster.balancer().outcomes);
    }

    static FunctionSpec function(long timeoutMs) {
        return new FunctionSpec("acme", FunctionName.of("hello"), "0".repeat(64), 10, 16, timeoutMs, Instant.EPOCH,
                1_000);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void aHugeTimeoutSaturatesInsteadOfOverflowing() {
        // A stand-in worker that answers every call at once: guest exited 0, fuel 7.
        io.helidon.webserver.WebServer answering = io.helidon.webserver.WebServer.builder().host("127.0.0.1")
                .port(0).routing(r -> r.post("/internal/v1/invoke", (req, res) -> res.status(200)
                        .header("Sluice-Outcome", "exited").header("Sluice-Exit-Code", "0")
                        .header("Sluice-Fuel-Used", "7").header("Sluice-Stderr-Bytes", "0")
                        .header("Sluice-Elapsed-Nanos", "1").send("out".getBytes(StandardCharsets.UTF_8))))
                .build().start();
        cluster.closeAtEnd(answering::stop);
        WorkerAddress w = new WorkerAddress("w", "127.0.0.1", answering.port(), 4);
        FixedOrderBalancer balancer = new FixedOrderBalancer(() -> List.of(w));
        RemoteDispatcher dispatcher = RemoteDispatcher.create(balancer, SECRET, System::nanoTime,
                Duration.ofSeconds(1), Duration.ofSeconds(2));
        cluster.closeAtEnd(() -> dispatcher.shutdown(0));
        // Long.MAX_VALUE ms as a read timeout overflowed Duration.toNanos() inside the HTTP/2 client after the
        // request was sent: the call that had run became a worker-lost.
        InvocationResult result = dispatcher.invoke(function(Long.MAX_VALUE),
                new InvocationRequest(new byte[0], List.of(), Map.of()));
        assertEquals("out", new String(result.stdout(), StandardCharsets.UTF_8));
        assertEquals(7, result.fuelUsed());
        assertEquals(List.of("w:succeeded"), balancer.outcomes);
    }

    @Test
    void aCallThatCouldNotBeSentIsNotAWorkerLost() throws IOException {
        WorkerAddress w = new WorkerAddress("w", "127.0.0.1", freePort(), 4);
        FixedOrderBalancer balancer = new FixedOrderBalancer(() -> List.of(w));
        RemoteDispatcher dispatcher = RemoteDispatcher.create(balancer, SECRET, System::nanoTime,
                Duration.ofSeconds(1), Duration.ofSeconds(2));
        dispatcher.shutdown(0);
        RuntimeException error = assertThrows(RuntimeException.class, () -> dispatcher.invoke(function(1_000),
                new InvocationRequest(new byte[0], List.of(), Map.of())));
        assertFalse(error instanceof SchedulerException.WorkerLost, "nothing was sent: " + error);
        assertEquals(List.of("w:not-started"), balancer.outcomes);
    }
}
