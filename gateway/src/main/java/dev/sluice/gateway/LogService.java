package dev.sluice.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.gateway.core.Caller;
import dev.sluice.gateway.core.Refusal;
import dev.sluice.gateway.http.ErrorMapper;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.http.Requests;
import dev.sluice.gateway.logs.FunctionLogs;
import dev.sluice.gateway.logs.LogEntry;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.tenancy.auth.Scope;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * A tenant's function logs over HTTP, {@code GET /v1/functions/{name}/logs} behind the same gate, scope
 * ({@code read}) and function restriction as the other function routes, and 404 for a function the tenant does not
 * have. Plain, a JSON page of entries; with {@code follow=true} or {@code Accept: text/event-stream}, Server-Sent
 * Events: the entries held, then each new one, with a comment as heartbeat, until the client goes, the stream's
 * maximum duration passes or the client falls too far behind (an {@code overflow} event, then the end). At most
 * {@code streams-per-tenant} streams per tenant are open on a gateway (429 {@code too-many-streams} beyond).
 *
 * <p>A stream holds the request's own (virtual) thread for its life, writing on Helidon's response output stream;
 * Helidon 4.5's SSE module is not among the served artifacts, and the framing is three lines.
 *
 * <p>Also records each invocation that ran, for {@link FunctionService}: the id it generated and sent in
 * {@value #INVOCATION_ID_HEADER}, the status the client got, the fuel, the duration and the guest's stderr.
 */
final class LogService {
    static final String INVOCATION_ID_HEADER = "Sluice-Invocation-Id";
    private static final Pattern INVOCATION_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
            + "[0-9a-f]{12}");
    private static final int MAX_SINCE_CHARS = 64;

    private final FunctionLogs logs;
    private final FunctionRegistry functions;
    private final InstantSource clock;
    private final LongSupplier nanoTime;

    LogService(FunctionLogs logs, FunctionRegistry functions, InstantSource clock, LongSupplier nanoTime) {
        this.logs = Objects.requireNonNull(logs, "logs");
        this.functions = Objects.requireNonNull(functions, "functions");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** A new invocation's id: random, so it says nothing about other tenants' traffic. */
    static String newInvocationId() {
        return UUID.randomUUID().toString();
    }

    Instant now() {
        return clock.instant();
    }

    void record(Caller caller, FunctionSpec function, String id, int status, String outcome, long fuel,
                long durationMs, byte[] stderr) {
        logs.record(caller.registryKey(), function.name().value(), id, status, outcome, fuel, Math.max(0, durationMs),
                stderr);
    }

    long millisSince(Instant started) {
        return Math.max(0, Duration.between(started, clock.instant()).toMillis());
    }

    void read(ServerRequest req, ServerResponse res) {
        FunctionName name = FunctionService.name(req);
        TenantGate.require(req, Scope.READ, name.value());
        Caller caller = TenantGate.callerOf(req);
        if (functions.find(caller.registryKey(), name).isEmpty()) {
            throw ErrorMapper.problem(new Refusal.FunctionNotFound(name));
        }
        Since since = since(req);
        int limit = limit(req);
        if (follows(req)) {
            follow(res, caller.registryKey(), name.value(), since);
            return;
        }
        List<LogEntry> entries = since.after(logs.entries(caller.registryKey(), name.value()));
        // Without since, the newest `limit` (a tail); with it, the first `limit` after it (a next page).
        entries = since.given() ? entries.subList(0, Math.min(limit, entries.size()))
                : entries.subList(Math.max(0, entries.size() - limit), entries.size());
        ArrayNode items = Json.object().arrayNode();
        entries.forEach(e -> items.add(json(e)));
        ObjectNode body = Json.object();
        body.set("entries", items);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        AdminService.send(res, Status.OK_200, body);
    }

    private static boolean follows(ServerRequest req) {
        return Requests.queryBoolean(req, "follow", AdminService::safe).orElseGet(() ->
                req.headers().values(HeaderNames.ACCEPT).stream().anyMatch(v -> v.contains("text/event-stream")));
    }

    private void follow(ServerResponse res, String owner, String function, Since since) {
        FunctionLogs.Slot slot = logs.openStream(owner).orElseThrow(() -> ProblemException.of(
                        ProblemType.TOO_MANY_STREAMS, "the tenant has " + logs.limits().streamsPerTenant()
                                + " log streams open on this gateway; close one first")
                .with("max-streams", logs.limits().streamsPerTenant())
                .header("Retry-After", "1"));
        BlockingQueue<LogEntry> queue = new ArrayBlockingQueue<>(logs.limits().entriesPerFunction());
        AtomicBoolean overflowed = new AtomicBoolean();
        try (slot; FunctionLogs.Follow follow = logs.follow(owner, function, e -> {
            if (!queue.offer(e)) {
                overflowed.set(true);
            }
        })) {
            res.status(Status.OK_200);
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
            res.header(HeaderNames.CACHE_CONTROL, "no-store");
            long deadline = nanoTime.getAsLong() + logs.limits().streamDuration().toNanos();
            try (OutputStream out = res.outputStream()) {
                // The retry hint tells EventSource clients to come back after the gateway closes at the deadline.
                out.write(("retry: 1000\n\n").getBytes(StandardCharsets.UTF_8));
                for (LogEntry entry : since.after(follow.held())) {
                    event(out, entry);
                }
                out.flush();
                stream(out, queue, overflowed, deadline);
                // Free the slot before the stream's end reaches the client, so its reconnect finds it free.
                follow.close();
                slot.close();
            }
        } catch (UncheckedIOException | IOException e) {
            // The client went away: nothing to answer.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stream(OutputStream out, BlockingQueue<LogEntry> queue, AtomicBoolean overflowed, long deadline)
            throws IOException, InterruptedException {
        long heartbeat = logs.limits().heartbeat().toNanos();
        while (true) {
            long left = deadline - nanoTime.getAsLong();
            if (left <= 0) {
                return;
            }
            LogEntry entry = queue.poll(Math.min(left, heartbeat), TimeUnit.NANOSECONDS);
            if (entry != null) {
                event(out, entry);
            } else if (overflowed.get()) {
                // Every queued entry was sent; the ones that did not fit are lost to this stream, which says so.
                out.write("event: overflow\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                return;
            } else {
                out.write(": heartbeat\n\n".getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
        }
    }

    private static void event(OutputStream out, LogEntry entry) throws IOException {
        // Jackson writes one line (newlines in stderr are escaped), so one data line carries the entry.
        out.write(("id: " + entry.invocationId() + "\nevent: entry\ndata: ").getBytes(StandardCharsets.UTF_8));
        out.write(Json.bytes(json(entry)));
        out.write("\n\n".getBytes(StandardCharsets.UTF_8));
    }

    static ObjectNode json(LogEntry entry) {
        ObjectNode node = Json.object();
        node.put("invocation-id", entry.invocationId());
        node.put("time", entry.time().toString());
        node.put("status", entry.status());
        node.put("outcome", entry.outcome());
        node.put("fuel", entry.fuel());
        node.put("duration-ms", entry.durationMs());
        node.put("stderr", entry.stderr());
        node.put("truncated", entry.truncated());
        return node;
    }

    private int limit(ServerRequest req) {
        int max = logs.limits().entriesPerFunction();
        if (!req.query().contains("limit")) {
            return max;
        }
        String raw = req.query().get("limit");
        try {
            int limit = Integer.parseInt(raw);
            if (limit >= 1 && limit <= max) {
                return limit;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ProblemException.of(ProblemType.INVALID_REQUEST, "limit: '" + AdminService.safe(raw)
                + "' (expected: an integer in 1.." + max + ")").with("parameter", "limit");
    }

    /** {@code since}, or else an SSE client's {@code Last-Event-ID} (it reconnects where it stopped). */
    private static Since since(ServerRequest req) {
        String raw = req.query().contains("since") ? req.query().get("since")
                : req.headers().first(HeaderNames.create("Last-Event-ID")).orElse(null);
        if (raw == null) {
            return new Since(null, null);
        }
        if (raw.length() <= MAX_SINCE_CHARS) {
            if (INVOCATION_ID.matcher(raw).matches()) {
                return new Since(null, raw);
            }
            try {
                return new Since(OffsetDateTime.parse(raw).toInstant(), null);
            } catch (DateTimeParseException ignored) {
                // reported below
            }
        }
        throw ProblemException.of(ProblemType.INVALID_REQUEST, "since: '" + AdminService.safe(
                        raw.length() > MAX_SINCE_CHARS ? raw.substring(0, MAX_SINCE_CHARS) + "..." : raw)
                        + "' (expected: an RFC 3339 time such as 2026-01-01T00:00:00Z, or an invocation id)")
                .with("parameter", "since");
    }

    /**
     * Entries after a time (strictly later) or after an invocation id. An id no longer held (evicted, or never of this
     * function) selects every entry held: each is newer than an evicted one, and a client that lost its place sees
     * everything rather than nothing.
     */
    private record Since(Instant time, String id) {
        boolean given() {
            return time != null || id != null;
        }

        List<LogEntry> after(List<LogEntry> entries) {
            if (time != null) {
                return entries.stream().filter(e -> e.time().isAfter(time)).toList();
            }
            if (id != null) {
                for (int i = 0; i < entries.size(); i++) {
                    if (entries.get(i).invocationId().equals(id)) {
                        return entries.subList(i + 1, entries.size());
                    }
                }
            }
            return entries;
        }
    }
}
