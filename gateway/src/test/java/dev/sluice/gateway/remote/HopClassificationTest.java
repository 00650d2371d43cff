package dev.sluice.gateway.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.gateway.http.ErrorMapper;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.cluster.WorkerAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * How {@link WorkerClient} classifies the ways a call to a worker can end, against real sockets: what provably
 * never started may go to another worker, anything else is never re-run; and what a tenant is told about it.
 */
class HopClassificationTest {
    static final String SECRET = "test-worker-secret-0123456789abcdef";
    static final FunctionSpec HELLO = new FunctionSpec("acme", FunctionName.of("hello"), "0".repeat(64), 10, 16,
            5_000, Instant.EPOCH, 1_000_000);
    static final InvocationRequest REQUEST = new InvocationRequest(new byte[0], List.of(), Map.of());

    static WorkerClient client(Duration connectTimeout, AtomicLong clock) {
        return new WorkerClient(SECRET, connectTimeout,
                new WorkerLiveness(Duration.ofMillis(100), connectTimeout, clock::get), clock::get);
    }

    static WorkerClient client(Duration connectTimeout) {
        return new WorkerClient(SECRET, connectTimeout,
                new WorkerLiveness(Duration.ofMillis(100), connectTimeout, System::nanoTime), System::nanoTime);
    }

    static WorkerAddress at(String id, int port) {
        return new WorkerAddress(id, "127.0.0.1", port, 4);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort(); // free now, and nothing listens on it
        }
    }

    @Test
    void aWorkerLostProblemTellsTheTenantNoAddressPortOrExceptionClass() {
        ProblemException problem = ErrorMapper.toProblem(new SchedulerException.WorkerLost(
                "worker 10.0.0.5:8090 failed the call: java.io.UncheckedIOException: java.net.SocketException: "
                        + "Connection reset", new java.io.UncheckedIOException(new java.net.SocketException("reset"))));
        assertEquals(ProblemType.WORKER_LOST, problem.type());
        assertFalse(problem.detail().contains("10.0.0.5"), problem.detail());
        assertFalse(problem.detail().contains("8090"), problem.detail());
        assertFalse(problem.detail().contains("java."), problem.detail());
        assertFalse(problem.detail().contains("Exception"), problem.detail());
        assertTrue(problem.detail().contains("may have run"), problem.detail());
    }

    @Test
    void anUnknownFailureKindFromANewerWorkerIsATrapNotACrashAfterTheGuestRan() {
        assertEquals(InvocationFailed.Kind.TRAP, InternalProtocol.kind("QUANTUM_DECOHERENCE"));
        assertEquals(InvocationFailed.Kind.TIMEOUT, InternalProtocol.kind("TIMEOUT"));
    }

    @Test
    void anUnknownModuleRejectedReasonFromANewerWorkerIsMalformed() {
        byte[] problem = ("{\"type\":\"https://sluice.dev/problems/module-rejected\",\"detail\":\"nope\","
                + "\"reason\":\"too-fancy\"}").getBytes(StandardCharsets.UTF_8);
        WorkerClient.Outcome outcome = WorkerClient.refusal(at("w", 1), 422, problem);
        SchedulerException.ModuleRejected rejected = assertInstanceOf(SchedulerException.ModuleRejected.class,
                assertInstanceOf(WorkerClient.Outcome.Refused.class, outcome).error());
        assertEquals(SchedulerException.ModuleRejected.Reason.MALFORMED, rejected.reason());

        byte[] known = ("{\"type\":\"https://sluice.dev/problems/module-rejected\",\"detail\":\"big\","
                + "\"reason\":\"too-large\"}").getBytes(StandardCharsets.UTF_8);
        assertEquals(SchedulerException.ModuleRejected.Reason.TOO_LARGE, ((SchedulerException.ModuleRejected)
                ((WorkerClient.Outcome.Refused) WorkerClient.refusal(at("w", 1), 422, known)).error()).reason());
    }

    @Test
    void aWorker413Or500IsAnInternalErrorNotAnUnavailableStore() {
        byte[] tooLarge = ("{\"type\":\"https://sluice.dev/problems/payload-too-large\",\"detail\":\"body over "
                + "1048576 bytes\"}").getBytes(StandardCharsets.UTF_8);
        for (int status : new int[] {413, 500}) {
            WorkerClient.Outcome outcome = WorkerClient.refusal(at("w", 1), status, tooLarge);
            ProblemException problem = ErrorMapper.toProblem(
                    assertInstanceOf(WorkerClient.Outcome.Refused.class, outcome).error());
            assertEquals(ProblemType.INTERNAL_ERROR, problem.type(), status + ": " + problem.detail());
        }
    }

    /** A listening socket whose accept queue is full: a new connection's handshake never completes. */
    static final class FullBacklog implements AutoCloseable {
        final ServerSocket server;
        final List<Socket> fillers = new ArrayList<>();
        final boolean full;

        FullBacklog() throws IOException {
            server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            boolean timedOut = false;
            for (int i = 0; i < 16 && !timedOut; i++) {
                Socket s = new Socket();
                fillers.add(s);
                try {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), 300);
                } catch (SocketTimeoutException e) {
                    timedOut = true;
                }
            }
            full = timedOut;
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            for (Socket s : fillers) {
                s.close();
            }
            server.close();
        }
    }

    @Test
    void aConnectionThatNeverCompletesItsHandshakeIsNotStartedNotLost() throws IOException {
        try (FullBacklog stuck = new FullBacklog(); WorkerClient client = client(Duration.ofMillis(700))) {
            assumeTrue(stuck.full, "this kernel did not let the accept queue fill");
            WorkerClient.Outcome outcome = client.call(at("stuck", stuck.port()), HELLO, REQUEST,
                    Duration.ofSeconds(10));
            assertInstanceOf(WorkerClient.Outcome.NotStarted.class, outcome,
                    "a connect timeout never sent the call: " + outcome);
        }
    }

    @Test
    void aRefusedStreamStaysLostBecauseHelidonDropsItsErrorCode() throws IOException {
        // RFC 9113 says a refused stream was not processed, but Helidon 4.5.0 reports it exactly like a reset of a
        // stream the worker did begin ("Stream closed while waiting for response headers", no error code). When a
        // Helidon upgrade reports the code, this fails: then classify REFUSED_STREAM as NotStarted.
        try (RawH2Server server = new RawH2Server(RawH2Server.Answer.REFUSED_STREAM);
             WorkerClient client = client(Duration.ofSeconds(2))) {
            WorkerClient.Outcome outcome = client.call(at("refusing", server.port()), HELLO, REQUEST,
                    Duration.ofSeconds(10));
            WorkerClient.Outcome.Lost lost = assertInstanceOf(WorkerClient.Outcome.Lost.class, outcome);
            // Only the refusal's own code counts: when the reset overtakes the request's body, Helidon may instead
            // fail its own write ("send data frame in invalid state: CLOSED", PROTOCOL_ERROR), which is no news.
            for (Throwable t = lost.cause(); t != null; t = t.getCause()) {
                assertFalse(t instanceof io.helidon.http.http2.Http2Exception e
                                && e.code() == io.helidon.http.http2.Http2ErrorCode.REFUSED_STREAM,
                        "Helidon now reports the error code; retry refused streams: " + t);
            }
            assertEquals(1, server.requests.get());
        }
    }

    @Test
    void aGoawayIsNeverRetriedBecauseHelidonDoesNotSayWhichStreamsItCovered() throws IOException {
        try (RawH2Server server = new RawH2Server(RawH2Server.Answer.GOAWAY);
             WorkerClient client = client(Duration.ofSeconds(2))) {
            WorkerClient.Outcome outcome = client.call(at("leaving", server.port()), HELLO, REQUEST,
                    Duration.ofSeconds(2));
            assertTrue(outcome instanceof WorkerClient.Outcome.Lost || outcome instanceof WorkerClient.Outcome.Stalled,
                    "the client cannot tell a stream below last-stream-id from one above it: " + outcome);
            assertEquals(1, server.requests.get());
        }
    }

    @Test
    void aClosedClientSendsNothingAndSaysSo() throws IOException {
        WorkerClient client = client(Duration.ofSeconds(1));
        client.close();
        WorkerClient.Outcome outcome = client.call(at("w", freePort()), HELLO, REQUEST, Duration.ofSeconds(1));
        assertInstanceOf(WorkerClient.Outcome.Unsent.class, outcome, "nothing left this process: " + outcome);
    }

    @Test
    void connectionsAndProbesOfWorkersNoLongerCalledAreForgotten() throws IOException {
        AtomicLong clock = new AtomicLong();
        WorkerLiveness liveness = new WorkerLiveness(Duration.ofMillis(100), Duration.ofSeconds(1), clock::get);
        try (WorkerClient client = new WorkerClient(SECRET, Duration.ofSeconds(1), liveness, clock::get)) {
            for (int i = 0; i < 3; i++) { // addresses that came and went (DNS churn)
                WorkerAddress gone = at("gone-" + i, freePort());
                assertInstanceOf(WorkerClient.Outcome.NotStarted.class,
                        client.call(gone, HELLO, REQUEST, Duration.ofSeconds(1)));
                assertTrue(liveness.gone(gone));
            }
            assertEquals(3, client.clientCount());
            assertEquals(3, liveness.probeCount());

            clock.addAndGet(WorkerClient.IDLE.toNanos() + 1);
            WorkerAddress current = at("current", freePort());
            client.call(current, HELLO, REQUEST, Duration.ofSeconds(1));
            assertEquals(1, client.clientCount(), "only the worker called now keeps a client");
            assertEquals(0, liveness.probeCount(), "old probes are dropped");
        }
    }

    @Test
    void aWorkerRestartedOnTheSameAddressDuringACallLosesTheCallAtOnceNotAtItsTimeout() throws Exception {
        try (RawH2Server worker = new RawH2Server(RawH2Server.Answer.NEVER);
             WorkerClient client = client(Duration.ofSeconds(2))) {
            java.util.concurrent.CompletableFuture<WorkerClient.Outcome> call =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> client.call(at("restarting",
                            worker.port()), HELLO, REQUEST, Duration.ofSeconds(60)));
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (worker.requests.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // real sockets and threads: no clock to advance
            }
            assertEquals(1, worker.requests.get(), "the call reached the worker");
            long reset = System.nanoTime();
            worker.resetConnections(); // the old process is gone; the address still accepts connections
            WorkerClient.Outcome outcome = call.get(45, java.util.concurrent.TimeUnit.SECONDS);
            assertInstanceOf(WorkerClient.Outcome.Lost.class, outcome, "the call's connection died: " + outcome);
            assertTrue(System.nanoTime() - reset < java.util.concurrent.TimeUnit.SECONDS.toNanos(30),
                    "lost when its connection died, not at its 60 s timeout");
        }
    }
}
