package dev.sluice.gateway.remote;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.gateway.http.ErrorMapper;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.http.Requests;
import dev.sluice.scheduler.Dispatcher;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.files.FunctionFiles;
import dev.sluice.gateway.tracing.Tracing;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The worker's internal API ({@link InternalProtocol}): every route needs the shared worker secret, and nothing
 * else is served on the port (a tenant route there is a 404 problem). An invocation is admitted or refused at once
 * ({@code 503 worker-busy}, never started) by {@link WorkerAdmission}; an admitted one runs on the worker's
 * {@link Dispatcher} and its outcome, guest failures included, is a {@code 200} the gateway settles from.
 */
public final class WorkerService implements HttpService {
    private static final System.Logger LOG = System.getLogger(WorkerService.class.getName());
    private final String id;
    private final String secret;
    private final Dispatcher dispatcher;
    private final WorkerAdmission admission;
    private final long maxBodyBytes;
    private final Tracing tracing;
    /** The host directory of a call's asset tree; throws a StorageFailure when it cannot be found. */
    private final Function<AttachedAssets, Path> trees;

    private WorkerService(String id, String secret, Dispatcher dispatcher, int maxConcurrency, long maxBodyBytes,
                          Tracing tracing, Function<AttachedAssets, Path> trees) {
        this.trees = Objects.requireNonNull(trees, "trees");
        this.id = Objects.requireNonNull(id, "id");
        this.secret = Objects.requireNonNull(secret, "secret");
        this.tracing = Objects.requireNonNull(tracing, "tracing");
        this.dispatcher = tracing.dispatcher(Objects.requireNonNull(dispatcher, "dispatcher"));
        this.admission = new WorkerAdmission(maxConcurrency);
        this.maxBodyBytes = maxBodyBytes;
    }

    /**
     * Traced: a call's spans (queue wait, run) are children of the gateway's dispatch span, whose W3C
     * {@code traceparent} the call carries; it is trusted only from a caller that has the worker secret.
     *
     * @param maxBodyBytes largest invocation accepted: the gateway's request cap plus the metadata (environment)
     * @param trees finds the asset trees of the calls' functions (a {@link WorkerTrees})
     */
    public static WorkerService create(String id, String secret, Dispatcher dispatcher, int maxConcurrency,
                                       long maxBodyBytes, Tracing tracing, Function<AttachedAssets, Path> trees) {
        return new WorkerService(id, secret, dispatcher, maxConcurrency, maxBodyBytes, tracing, trees);
    }

    /** The worker port's whole surface, in matching order. */
    public void routing(HttpRouting.Builder routing) {
        tracing.filteredInternal(routing, req -> InternalProtocol.secretMatches(secret,
                        req.headers().first(InternalProtocol.SECRET).orElse(null)))
                .error(Throwable.class, new ErrorMapper())
                .register(InternalProtocol.PREFIX, this)
                .any((req, res) -> {
                    throw ProblemException.of(ProblemType.NOT_FOUND, "no route on a worker's internal port");
                });
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any(this::authenticate)
                .post("/invoke", this::invoke)
                .get("/health", this::health);
    }

    private void authenticate(ServerRequest req, ServerResponse res) {
        String given = req.headers().first(InternalProtocol.SECRET).orElse(null);
        if (!InternalProtocol.secretMatches(secret, given)) {
            throw ProblemException.of(ProblemType.UNAUTHORIZED, given == null
                    ? "missing the worker secret" : "wrong worker secret");
        }
        res.next();
    }

    private void invoke(ServerRequest req, ServerResponse res) {
        // Admission before reading the body: a refusal is cheap and certain not to have started anything.
        WorkerAdmission.Permit permit = admission.tryEnter().orElseThrow(this::busy);
        // The permit is held until the answer is written: a stopping worker waits for it before closing the port.
        try (permit) {
            Runnable answer = run(permit, req, res);
            answer.run();
        }
    }

    /**
     * Runs the call; returns how to answer. The slot is given back before the answer is written: the gateway counts
     * its call as done when the answer arrives, and its next call must not find this worker still full (a spurious
     * worker-busy).
     */
    private Runnable run(WorkerAdmission.Permit permit, ServerRequest req, ServerResponse res) {
        try {
            byte[] body = Requests.body(req, maxBodyBytes, ProblemType.PAYLOAD_TOO_LARGE, "invocation");
            InternalProtocol.Invocation invocation = InternalProtocol.decode(body);
            // One line per invocation handed to the pool (off unless DEBUG is on): a trace of what ran here that
            // outlives a kill -9. A call the pool then refuses (its tenant queue full) is traced but never ran.
            LOG.log(System.Logger.Level.DEBUG, () -> "invocation started: " + invocation.function().tenant() + "/"
                    + invocation.function().name());
            // Before the guest starts: a tree that cannot be found fails the call (store-unavailable), never runs it
            // without its files.
            InvocationRequest request = withTree(invocation);
            InvocationResult result;
            try {
                result = dispatcher.invoke(invocation.function(), request);
            } catch (InvocationFailed e) {
                byte[] stderr = e.stderr();
                res.header(InternalProtocol.OUTCOME, "failed")
                        .header(InternalProtocol.FAILURE_KIND, e.kind().name())
                        .header(InternalProtocol.FAILURE_MESSAGE, InternalProtocol.encodeMessage(e.getMessage()))
                        .header(InternalProtocol.FUEL_USED, Long.toString(e.fuelUsed()))
                        .header(InternalProtocol.ELAPSED, "0")
                        .header(InternalProtocol.STDERR_BYTES, Integer.toString(stderr.length))
                        .header(HeaderNames.CONTENT_TYPE, "application/octet-stream");
                return () -> res.send(stderr);
            } catch (SchedulerException.Overloaded e) {
                if (Thread.currentThread().isInterrupted()) {
                    // Abandoned by an interrupt (the worker is stopping): the job may have begun, so this must not
                    // read as "not started", or the gateway would run it again elsewhere.
                    throw ProblemException.of(ProblemType.WORKER_LOST, "worker " + id + " abandoned the call");
                }
                // The pool's own per-tenant queue was full: the guest never started.
                throw busy(e.getMessage());
            }
            res.header(InternalProtocol.OUTCOME, "exited")
                    .header(InternalProtocol.EXIT_CODE, Integer.toString(result.exitCode()))
                    .header(InternalProtocol.FUEL_USED, Long.toString(result.fuelUsed()))
                    .header(InternalProtocol.ELAPSED, Long.toString(result.elapsed().toNanos()))
                    .header(InternalProtocol.STDERR_BYTES, Integer.toString(result.stderr().length))
                    .header(HeaderNames.CONTENT_TYPE, "application/octet-stream");
            byte[] answer = InternalProtocol.body(result.stderr(), result.stdout());
            return () -> res.send(answer);
        } finally {
            permit.releaseSlot();
        }
    }

    private InvocationRequest withTree(InternalProtocol.Invocation invocation) {
        InvocationRequest request = invocation.request();
        Optional<AttachedAssets> attached = invocation.function().assets();
        if (attached.isEmpty()) {
            return request;
        }
        FunctionFiles files = FunctionFiles.of(attached.map(trees), attached.map(AttachedAssets::mount),
                request.files().scratch());
        return new InvocationRequest(request.stdin(), request.args(), request.env(), files);
    }

    private ProblemException busy() {
        if (admission.draining()) {
            // Never again: the gateway sends the call elsewhere and does not wait for this worker.
            return busy("worker " + id + " is draining").with("draining", true);
        }
        return busy("worker " + id + " runs " + admission.maxConcurrency() + " invocations already");
    }

    private static ProblemException busy(String detail) {
        return ProblemException.of(ProblemType.WORKER_BUSY, detail).header("Retry-After", "1");
    }

    private void health(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object();
        body.put("id", id);
        body.put("status", admission.draining() ? "draining" : "up");
        body.put("running", admission.running());
        body.put("started", admission.started());
        body.put("max-concurrency", admission.maxConcurrency());
        res.status(admission.draining() ? 503 : 200);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.bytes(body));
    }

    /** Refuse new work from now on (first step of a graceful stop, after deregistering). */
    public void drain() {
        admission.drain();
    }

    /** @return whether running invocations finished, and their answers were written, within the time */
    public boolean awaitIdle(long millis) throws InterruptedException {
        return admission.awaitIdle(millis);
    }

    /**
     * Waits, at most {@code maxMillis}, until {@code quietMillis} have passed since the last answer was written.
     * Helidon (4.5.0) closes an HTTP/2 connection without a GOAWAY exchange, and closing a socket with the peer's
     * frames (its window updates for that very answer) still unread resets the connection, which can discard an
     * answer the gateway has received but not yet read. So a stop gives the gateways a moment to read.
     */
    public void awaitQuiet(long quietMillis, long maxMillis) throws InterruptedException {
        long wait = admission.quietWaitMillis(quietMillis, maxMillis);
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    /** Invocations this worker admitted since it started; for tests that count executions. */
    public long started() {
        return admission.started();
    }
}
