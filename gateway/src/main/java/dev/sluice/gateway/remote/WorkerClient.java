package dev.sluice.gateway.remote;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.tracing.Tracing;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.cluster.WorkerAddress;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.ConnectedSocketChannelInfo;
import io.helidon.webclient.api.ConnectedSocketInfo;
import io.helidon.webclient.api.ConnectionListener;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientProtocolConfig;
import io.helidon.webclient.http2.Http2ClientResponse;
import io.helidon.webclient.http2.StreamTimeoutException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * One gateway's HTTP/2 cleartext connections to workers (prior knowledge, one persistent connection per worker,
 * many streams on it), and the classification of each call's end into an {@link Outcome}. The classification is
 * what at-most-once rests on: only a failure that provably happened before the worker could start the guest (no
 * connection) is {@link Outcome.NotStarted}, the worker's own {@code 503 worker-busy} {@link Outcome.Busy};
 * anything after the request was handed to an open connection is {@link Outcome.Lost} or {@link Outcome.Stalled}.
 *
 * <p>What Helidon 4.5.0's HTTP/2 client lets us know for sure: a failure to open the TCP connection (refused, no
 * route, unknown host, connect timeout: thrown from {@code Socket.connect}) or to set up HTTP/2 on it (thrown while
 * {@code Http2ClientConnection.create} runs, before any stream exists) happened before the request was written.
 * What it does not let us know: RFC 9113 section 8.7 makes {@code RST_STREAM(REFUSED_STREAM)} and streams above a
 * GOAWAY's {@code last-stream-id} safe to retry, but Helidon 4.5.0 drops both facts. On RST_STREAM it closes the
 * stream before failing its buffer with the error code, so the waiting call only sees "Stream closed while waiting
 * for response headers", the same as for a reset after processing began; on GOAWAY it closes the connection without
 * handing {@code last-stream-id} to its streams. Both stay {@link Outcome.Lost} (a spurious 502 is the price of
 * never running a call twice); HopClassificationTest pins this, so a Helidon that reports them shows up there.
 *
 * <p>A call waiting on a socket that closed is lost at once; that needs Helidon to close the socket. Helidon 4.5.0 does
 * not when the worker's RST arrives before its reader answers the worker's FIN (a worker killed with bytes unread):
 * close() first writes a GOAWAY, that write throws, and the reader ends with the socket open. Such a call ends at
 * its timeout, as {@link Outcome.Stalled}: later, but never run twice. The configured executor is ignored (LoomClient
 * uses a static one), so there is no hook to close the socket when the reader ends.
 *
 * <p>Connections to workers not called for {@link #IDLE} are closed and forgotten (DNS churn would otherwise keep
 * one client per address ever seen). Thread-safe.
 */
final class WorkerClient implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerClient.class.getName());
    /** A worker's connection unused this long is closed (its calls all ended); the next call opens a new one. */
    static final Duration IDLE = Duration.ofMinutes(2);

    private final String secret;
    private final Duration connectTimeout;
    private final WorkerLiveness liveness;
    private final LongSupplier nanoTime;
    private final Map<String, Connection> clients = new ConcurrentHashMap<>();
    private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
    private volatile long lastSweep;
    /** Set by a call's own thread while it submits: the socket its request goes out on, when it is known. */
    private final ThreadLocal<Socket[]> carrier = new ThreadLocal<>();

    /**
     * A worker's client, the calls on it now, when it was last used (guarded by the map's compute), and the socket
     * its newest connection runs on: Helidon keeps one connection per worker and opens a new one, on the calling
     * thread, only when the last one closed.
     */
    private final class Connection implements ConnectionListener {
        final Http2Client client;
        final AtomicInteger inFlight = new AtomicInteger();
        volatile long lastUsedNanos;
        volatile Socket latest;

        Connection(String authority) {
            this.client = client(authority, this);
        }

        @Override
        public void socketConnected(ConnectedSocketInfo info) {
            latest = info.socket();
            Socket[] mine = carrier.get();
            if (mine != null) {
                mine[0] = info.socket(); // this call opened it, so its request goes out on it
            }
        }

        @Override
        public void socketChannelConnected(ConnectedSocketChannelInfo info) {
            // only plain sockets here
        }
    }

    WorkerClient(String secret, Duration connectTimeout, WorkerLiveness liveness, LongSupplier nanoTime) {
        this.secret = secret;
        this.connectTimeout = connectTimeout;
        this.liveness = liveness;
        this.nanoTime = nanoTime;
        this.lastSweep = nanoTime.getAsLong();
    }

    /** How one call ended. */
    sealed interface Outcome {
        /** The guest ran to its end (any exit code). */
        record Completed(InvocationResult result) implements Outcome {}

        /** The guest ran and failed (trap, timeout, limit); settled like an in-process failure. */
        record GuestFailed(InvocationFailed failure) implements Outcome {}

        /** The worker never started the guest: another worker may run the call. */
        record NotStarted(String why) implements Outcome {}

        /**
         * The worker refused the call for want of room, or because it is draining ({@code 503 worker-busy}): never
         * started, so another worker may run it, but the worker is healthy (no ejection).
         */
        record Busy(String why, boolean draining) implements Outcome {}

        /** The call was handed to the worker, which then went away: it may have run. */
        record Lost(String why, Throwable cause) implements Outcome {}

        /** No answer within the function's timeout plus the margin: it may still be running. */
        record Stalled(String why) implements Outcome {}

        /**
         * The worker refused the call for a reason that would be the same anywhere (bad module, bad input), or
         * failed it in a way the tenant cannot fix (a problem the ErrorMapper renders as is).
         */
        record Refused(RuntimeException error) implements Outcome {}

        /** This gateway failed before anything was sent (encoding, a closed client): no worker saw the call. */
        record Unsent(RuntimeException error) implements Outcome {}
    }

    Outcome call(WorkerAddress worker, FunctionSpec function, InvocationRequest request, Duration answerWithin) {
        sweep();
        Connection connection;
        CompletableFuture<Http2ClientResponse> pending;
        Socket[] carried = new Socket[1];
        try {
            byte[] body = InternalProtocol.encode(function, request);
            // The trace context of this thread's dispatch span (none when not traced), for the worker's spans.
            Map<String, String> trace = Tracing.outgoingHeaders();
            connection = clients.compute(worker.authority(), (authority, known) -> {
                Connection c = known != null ? known : new Connection(authority);
                c.inFlight.incrementAndGet();
                c.lastUsedNanos = nanoTime.getAsLong();
                return c;
            });
            Connection on = connection;
            // The blocking call runs on its own virtual thread so this one can watch the worker meanwhile:
            // Helidon's HTTP/2 client (4.5.0) does not fail a stream waiting for its answer when the connection
            // dies, it waits for the read timeout, so a killed worker would look like a stall.
            try {
                pending = CompletableFuture.supplyAsync(() -> {
                    // The open connection the request will take, unless this thread has to open a new one (then
                    // the listener names that one). A closed or unknown one is left unknown, never guessed.
                    Socket latest = on.latest;
                    carried[0] = latest != null && !latest.isClosed() ? latest : null;
                    carrier.set(carried);
                    try {
                        var post = on.client.post(InternalProtocol.INVOKE)
                                .header(InternalProtocol.SECRET, secret)
                                .header(HeaderNames.CONTENT_TYPE, InternalProtocol.CONTENT_TYPE)
                                .readTimeout(answerWithin);
                        trace.forEach((name, value) -> post.header(HeaderNames.create(name), value));
                        return post.submit(body);
                    } finally {
                        carrier.remove();
                    }
                }, calls);
            } catch (RuntimeException e) {
                connection.inFlight.decrementAndGet();
                throw e;
            }
        } catch (RuntimeException e) {
            // Nothing left this process (a RejectedExecutionException once closed, an encoding failure).
            return new Outcome.Unsent(e);
        }
        try {
            return await(worker, pending, answerWithin, carried);
        } finally {
            connection.lastUsedNanos = nanoTime.getAsLong();
            connection.inFlight.decrementAndGet();
        }
    }

    private Outcome await(WorkerAddress worker, CompletableFuture<Http2ClientResponse> pending,
                          Duration answerWithin, Socket[] carried) {
        while (true) {
            try {
                return answered(worker, pending.get(liveness.interval().toMillis(), TimeUnit.MILLISECONDS));
            } catch (TimeoutException waiting) {
                Socket socket = carried[0];
                if (socket != null && socket.isClosed() && !pending.isDone()) {
                    // Helidon closes a connection's socket when the peer resets or ends it, but leaves its streams
                    // waiting; a worker restarted on the same address would pass the liveness probe below.
                    pending.thenAccept(Http2ClientResponse::close);
                    return new Outcome.Lost("the connection carrying the call to worker " + worker.id()
                            + " closed during the call", null);
                }
                if (liveness.gone(worker)) {
                    // Whatever answer might still come is dropped; the call counts as lost, never as retryable.
                    pending.thenAccept(Http2ClientResponse::close);
                    return new Outcome.Lost("worker " + worker.id() + " stopped accepting connections during the "
                            + "call", null);
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof StreamTimeoutException) {
                    return new Outcome.Stalled("worker " + worker.id() + " did not answer within "
                            + answerWithin.toMillis() + " ms");
                }
                return failed(worker, e.getCause() instanceof RuntimeException r ? r
                        : new IllegalStateException(e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pending.thenAccept(Http2ClientResponse::close);
                return new Outcome.Lost("interrupted while worker " + worker.id() + " ran the call", e);
            }
        }
    }

    private Outcome answered(WorkerAddress worker, Http2ClientResponse pendingResponse) {
        try (Http2ClientResponse response = pendingResponse) {
            int status = response.status().code();
            byte[] answer;
            try {
                answer = response.entity().as(byte[].class);
            } catch (RuntimeException e) {
                // The headers came, the body did not: the guest ran, its outcome is lost with the worker.
                return new Outcome.Lost("worker " + worker.id() + " broke off its answer: " + e.getMessage(), e);
            }
            if (status == 200) {
                return completed(response, answer);
            }
            return refusal(worker, status, answer);
        }
    }

    private Outcome completed(Http2ClientResponse response, byte[] answer) {
        long fuel = number(response, InternalProtocol.FUEL_USED);
        int stderrBytes = (int) Math.min(answer.length, number(response, InternalProtocol.STDERR_BYTES));
        String outcome = response.headers().first(InternalProtocol.OUTCOME).orElse("");
        if (outcome.equals("failed")) {
            InvocationFailed.Kind kind = InternalProtocol.kind(response.headers()
                    .first(InternalProtocol.FAILURE_KIND).orElse("TRAP"));
            String message = InternalProtocol.decodeMessage(response.headers()
                    .first(InternalProtocol.FAILURE_MESSAGE).orElse(""));
            return new Outcome.GuestFailed(new InvocationFailed(kind, message,
                    java.util.Arrays.copyOf(answer, stderrBytes), fuel));
        }
        return new Outcome.Completed(InternalProtocol.result((int) number(response, InternalProtocol.EXIT_CODE),
                answer, stderrBytes, number(response, InternalProtocol.ELAPSED), fuel));
    }

    private static long number(Http2ClientResponse response, HeaderName name) {
        return response.headers().first(name).map(Long::parseLong).orElse(0L);
    }

    /** A problem document from the worker: whether the guest started follows from its type. */
    static Outcome refusal(WorkerAddress worker, int status, byte[] answer) {
        String type = "";
        String detail = "";
        String reason = "";
        boolean draining = false;
        try {
            ObjectNode problem = Json.parseObject(answer);
            type = problem.path("type").asText("");
            detail = problem.path("detail").asText("");
            reason = problem.path("reason").asText("");
            draining = problem.path("draining").asBoolean(false);
        } catch (ProblemException notJson) {
            // detail stays empty: the status says enough
        }
        String slug = type.substring(type.lastIndexOf('/') + 1);
        return switch (slug) {
            case "worker-busy" -> new Outcome.Busy(detail, draining);
            case "worker-lost" -> new Outcome.Lost("worker " + worker.id() + ": " + detail, null);
            case "unauthorized" -> {
                // A misconfigured gateway or worker: nothing ran; log it, the operator has to act.
                LOG.log(System.Logger.Level.WARNING, "worker " + worker.id() + " refused the worker secret: "
                        + detail);
                yield new Outcome.NotStarted("worker " + worker.id() + " refused the worker secret");
            }
            case "module-rejected" -> new Outcome.Refused(new ModuleRejected(InternalProtocol.reason(reason),
                    detail));
            case "invalid-request" -> new Outcome.Refused(new SchedulerException.InvalidInput(detail));
            // The worker could not read what the call needs (its module, or its function's asset tree) and did not
            // start the guest: the store's failure, as if this gateway had met it (503, logged here too).
            case "store-unavailable" -> new Outcome.Refused(new SchedulerException.StorageFailure("worker "
                    + worker.id() + " could not read the function's stored state: " + detail, null));
            default -> {
                // Not the function store (503 store-unavailable would send the tenant to retry), not worker-lost
                // (the guest did not run): the deployment is inconsistent, e.g. a 413 when the worker's body cap is
                // below the gateway's max-request-bytes. The operator has to act; the tenant gets a 500.
                LOG.log(System.Logger.Level.WARNING, "worker " + worker.id() + " could not run an invocation ("
                        + status + " " + slug + "): " + detail + (status == 413 ? "; its body limit is below this "
                        + "gateway's max-request-bytes (gateway and worker configurations differ)" : ""));
                yield new Outcome.Refused(ProblemException.of(ProblemType.INTERNAL_ERROR,
                        "the server could not complete the request"));
            }
        };
    }

    /** A failure before any answer: not started only when it provably came before the request was written. */
    static Outcome failed(WorkerAddress worker, RuntimeException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof NoRouteToHostException
                    || cause instanceof UnknownHostException
                    || (cause instanceof IOException && thrownBy(cause, "java.net.Socket", "connect"))) {
                return new Outcome.NotStarted("cannot connect to worker " + worker.id() + ": " + cause);
            }
            if (thrownBy(cause, "io.helidon.webclient.http2.Http2ClientConnection", "create")) {
                // The preface or the initial SETTINGS exchange failed: the connection never carried a stream.
                return new Outcome.NotStarted("worker " + worker.id() + " did not set up HTTP/2: " + cause);
            }
        }
        return new Outcome.Lost("worker " + worker.id() + " was lost during the call: " + e, e);
    }

    /** Whether the exception was raised under the given method on this thread (it carries its own stack). */
    private static boolean thrownBy(Throwable error, String className, String method) {
        for (StackTraceElement frame : error.getStackTrace()) {
            if (frame.getClassName().equals(className) && frame.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }

    /** Closes the connections to workers not called for {@link #IDLE}, at most once per {@link #IDLE}. */
    private void sweep() {
        long now = nanoTime.getAsLong();
        if (now - lastSweep < IDLE.toNanos()) {
            return;
        }
        lastSweep = now;
        for (String authority : clients.keySet()) {
            Connection[] idle = new Connection[1];
            clients.computeIfPresent(authority, (key, c) -> {
                if (c.inFlight.get() == 0 && now - c.lastUsedNanos >= IDLE.toNanos()) {
                    idle[0] = c;
                    return null;
                }
                return c;
            });
            if (idle[0] != null) {
                closeQuietly(idle[0].client);
            }
        }
        liveness.forgetIdle(IDLE);
    }

    /** How many workers this gateway holds a client for (tests). */
    int clientCount() {
        return clients.size();
    }

    private static void closeQuietly(Http2Client client) {
        try {
            client.closeResource();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "while closing a worker connection: " + e);
        }
    }

    private Http2Client client(String authority, ConnectionListener connections) {
        return Http2Client.builder()
                .baseUri("http://" + authority)
                .connectionListener(connections)
                // Our own cache: closing this client closes exactly its connections.
                .shareConnectionCache(false)
                // Without TCP_NODELAY a call's HEADERS and DATA frames wait on delayed ACKs: ~40 ms per call.
                .socketOptions(options -> options.tcpNoDelay(true).connectTimeout(connectTimeout))
                .protocolConfig(Http2ClientProtocolConfig.builder().priorKnowledge(true).build())
                .build();
    }

    @Override
    public void close() {
        clients.values().forEach(c -> closeQuietly(c.client));
        clients.clear();
        calls.shutdownNow();
    }
}
