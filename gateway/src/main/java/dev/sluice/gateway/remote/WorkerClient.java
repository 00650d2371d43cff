package dev.sluice.gateway.remote;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.cluster.WorkerAddress;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientProtocolConfig;
import io.helidon.webclient.http2.Http2ClientResponse;
import io.helidon.webclient.http2.StreamTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One gateway's HTTP/2 cleartext connections to workers (prior knowledge, one persistent connection per worker,
 * many streams on it), and the classification of each call's end into an {@link Outcome}. The classification is
 * what at-most-once rests on: only a failure that provably happened before the worker could start the guest (no
 * connection) is {@link Outcome.NotStarted}, the worker's own {@code 503 worker-busy} {@link Outcome.Busy}; anything after the
 * request was handed to an open connection is {@link Outcome.Lost} or {@link Outcome.Stalled}. Thread-safe.
 */
final class WorkerClient implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerClient.class.getName());

    private final String secret;
    private final Duration connectTimeout;
    private final WorkerLiveness liveness;
    private final Map<String, Http2Client> clients = new ConcurrentHashMap<>();
    private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();

    WorkerClient(String secret, Duration connectTimeout, WorkerLiveness liveness) {
        this.secret = secret;
        this.connectTimeout = connectTimeout;
        this.liveness = liveness;
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
        record Busy(String why) implements Outcome {}

        /** The call was handed to the worker, which then went away: it may have run. */
        record Lost(String why, Throwable cause) implements Outcome {}

        /** No answer within the function's timeout plus the margin: it may still be running. */
        record Stalled(String why) implements Outcome {}

        /** The worker refused the call for a reason that would be the same anywhere (bad module, bad input). */
        record Refused(SchedulerException error) implements Outcome {}
    }

    Outcome call(WorkerAddress worker, FunctionSpec function, InvocationRequest request, Duration answerWithin) {
        byte[] body = InternalProtocol.encode(function, request);
        Http2Client client = clients.computeIfAbsent(worker.authority(), this::client);
        // The blocking call runs on its own virtual thread so this one can watch the worker meanwhile: Helidon's
        // HTTP/2 client (4.5.0) does not fail a stream waiting for its answer when the connection dies, it waits
        // for the read timeout, so a killed worker would look like a stall.
        CompletableFuture<Http2ClientResponse> pending = CompletableFuture.supplyAsync(() ->
                client.post(InternalProtocol.INVOKE)
                        .header(InternalProtocol.SECRET, secret)
                        .header(HeaderNames.CONTENT_TYPE, InternalProtocol.CONTENT_TYPE)
                        .readTimeout(answerWithin)
                        .submit(body), calls);
        while (true) {
            try {
                return answered(worker, pending.get(liveness.interval().toMillis(), TimeUnit.MILLISECONDS));
            } catch (TimeoutException waiting) {
                if (!liveness.accepting(worker)) {
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
    private static Outcome refusal(WorkerAddress worker, int status, byte[] answer) {
        String type = "";
        String detail = "";
        String reason = "";
        try {
            ObjectNode problem = Json.parseObject(answer);
            type = problem.path("type").asText("");
            detail = problem.path("detail").asText("");
            reason = problem.path("reason").asText("");
        } catch (ProblemException notJson) {
            // detail stays empty: the status says enough
        }
        String slug = type.substring(type.lastIndexOf('/') + 1);
        return switch (slug) {
            case "worker-busy" -> new Outcome.Busy(detail);
            case "worker-lost" -> new Outcome.Lost("worker " + worker.id() + ": " + detail, null);
            case "unauthorized" -> {
                // A misconfigured gateway or worker: nothing ran; log it, the operator has to act.
                LOG.log(System.Logger.Level.WARNING, "worker " + worker.id() + " refused the worker secret: "
                        + detail);
                yield new Outcome.NotStarted("worker " + worker.id() + " refused the worker secret");
            }
            case "module-rejected" -> new Outcome.Refused(new ModuleRejected(ModuleRejected.Reason.valueOf(
                    reason.isEmpty() ? "MALFORMED" : reason.toUpperCase(Locale.ROOT).replace('-', '_')), detail));
            case "invalid-request" -> new Outcome.Refused(new SchedulerException.InvalidInput(detail));
            default -> new Outcome.Refused(new SchedulerException.StorageFailure("worker " + worker.id()
                    + " could not run the invocation (" + status + " " + slug + "): " + detail, null));
        };
    }

    /** A failure before any answer: not started only when no connection could be made at all. */
    private static Outcome failed(WorkerAddress worker, RuntimeException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof NoRouteToHostException
                    || cause instanceof UnknownHostException) {
                return new Outcome.NotStarted("cannot connect to worker " + worker.id() + ": " + cause.getMessage());
            }
        }
        return new Outcome.Lost("worker " + worker.id() + " was lost during the call: " + e, e);
    }

    private Http2Client client(String authority) {
        return Http2Client.builder()
                .baseUri("http://" + authority)
                // Our own cache: closing this client closes exactly its connections.
                .shareConnectionCache(false)
                // Without TCP_NODELAY a call's HEADERS and DATA frames wait on delayed ACKs: ~40 ms per call.
                .socketOptions(options -> options.tcpNoDelay(true).connectTimeout(connectTimeout))
                .protocolConfig(Http2ClientProtocolConfig.builder().priorKnowledge(true).build())
                .build();
    }

    @Override
    public void close() {
        clients.values().forEach(c -> {
            try {
                c.closeResource();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "while closing a worker connection: " + e);
            }
        });
        clients.clear();
        calls.shutdownNow();
    }
}
