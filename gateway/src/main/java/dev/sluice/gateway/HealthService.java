package dev.sluice.gateway;

import dev.sluice.config.live.ConfigStatus;
import dev.sluice.gateway.http.Json;
import dev.sluice.tenancy.quota.Quotas;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Liveness ({@code /health}) and readiness ({@code /health/ready}), without authentication. Readiness turns false as
 * soon as a shutdown starts, so a load balancer stops sending work while in-flight invocations finish. It is also
 * false ({@code STARTING}) until the shared stores were first reached: a gateway started while Redis is slow or away
 * keeps running and connecting, and turns ready by itself once Redis answers. A later outage does not make it
 * unready — the quotas' fail policy handles that, and every replica would be unready at once. The readiness body also
 * counts the requests the quotas served without Redis ({@code quota-fallbacks}), refused for want of it
 * ({@code quota-refusals}) and how often the circuit breaker stopped asking it ({@code breaker-openings}).
 *
 * <p>The {@code config} member shows the configuration's source, state and reason. Its {@code STARTING} (Vault never
 * read yet: the tenants and plans declared there are unknown) makes the gateway unready like a Redis never reached;
 * {@code DEGRADED} (Vault away or sealed, or its newest configuration refused) leaves it ready: it serves the
 * last-known-good, and every replica would turn unready at once.
 */
final class HealthService implements HttpService {
    private final Drain drain;
    private final BooleanSupplier storesReady;
    private final Quotas quotas;
    private final Supplier<ConfigStatus> config;

    HealthService(Drain drain, BooleanSupplier storesReady, Quotas quotas, Supplier<ConfigStatus> config) {
        this.drain = drain;
        this.storesReady = storesReady;
        this.quotas = quotas;
        this.config = config;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::live).get("/ready", this::ready);
    }

    private void live(ServerRequest req, ServerResponse res) {
        AdminService.send(res, Status.OK_200, Json.object().put("status", "UP"));
    }

    private void ready(ServerRequest req, ServerResponse res) {
        ConfigStatus configStatus = config.get();
        boolean started = storesReady.getAsBoolean() && configStatus.state() != ConfigStatus.State.STARTING;
        String status = !drain.accepting() ? "DRAINING" : started ? "READY" : "STARTING";
        AdminService.send(res, status.equals("READY") ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503,
                Json.object().put("status", status).put("quota-fallbacks", quotas.fallbacks())
                        .put("quota-refusals", quotas.refusals()).put("breaker-openings", quotas.breakerOpenings())
                        .set("config", ConfigService.summary(configStatus)));
    }
}
