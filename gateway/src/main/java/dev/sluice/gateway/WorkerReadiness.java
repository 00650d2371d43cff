package dev.sluice.gateway;

import dev.sluice.gateway.http.Json;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A worker's liveness ({@code /health}: {@code UP} while the process answers) and readiness ({@code /health/ready}),
 * on its management listener, without authentication: where Kubernetes probes a worker, whose internal port wants
 * the worker secret. The one place that decides a worker's readiness: {@code STARTING} (503) until its ports listen
 * and it is advertised ({@link #ready}), then {@code READY} (200), and {@code DRAINING} (503) from the moment a stop
 * begins ({@link #draining}), for good, so the worker leaves a headless Service's endpoints while its running calls
 * finish. Thread-safe: the state is swapped atomically and never leaves {@code DRAINING}.
 */
final class WorkerReadiness implements HttpService {
    enum State { STARTING, READY, DRAINING }

    private final String id;
    private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);

    WorkerReadiness(String id) {
        this.id = Objects.requireNonNull(id, "id");
    }

    /** Listening and advertised: ready, unless a stop already began. */
    void ready() {
        state.compareAndSet(State.STARTING, State.READY);
    }

    /** A stop began: unready from now on. */
    void draining() {
        state.set(State.DRAINING);
    }

    State state() {
        return state.get();
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::live).get("/ready", this::ready);
    }

    private void live(ServerRequest req, ServerResponse res) {
        AdminService.send(res, Status.OK_200, Json.object().put("status", "UP"));
    }

    private void ready(ServerRequest req, ServerResponse res) {
        State now = state.get();
        AdminService.send(res, now == State.READY ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503,
                Json.object().put("status", now.name()).put("id", id));
    }
}
