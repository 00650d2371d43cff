package dev.sluice.gateway;

import dev.sluice.gateway.http.Json;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Liveness ({@code /health}) and readiness ({@code /health/ready}), without authentication. Readiness turns false as
 * soon as a shutdown starts, so a load balancer stops sending work while in-flight invocations finish.
 */
final class HealthService implements HttpService {
    private final Drain drain;

    HealthService(Drain drain) {
        this.drain = drain;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::live).get("/ready", this::ready);
    }

    private void live(ServerRequest req, ServerResponse res) {
        AdminService.send(res, Status.OK_200, Json.object().put("status", "UP"));
    }

    private void ready(ServerRequest req, ServerResponse res) {
        boolean ready = drain.accepting();
        AdminService.send(res, ready ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503,
                Json.object().put("status", ready ? "READY" : "DRAINING"));
    }
}
