package dev.sluice.gateway.metrics;

import dev.sluice.config.MetricsConfig;
import dev.sluice.gateway.http.ErrorMapper;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.ListenerConfig;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;

/**
 * {@code GET /metrics}: the Prometheus text exposition of {@link SluiceMetrics}, behind {@code access} (the admin
 * token on the main port; Prometheus sends it as {@code authorization: bearer_token}); and the management listener
 * that serves it, with the role's health, without authentication ({@link #managementSockets}).
 */
public final class MetricsService implements HttpService {
    /** The management listener's socket name. */
    public static final String SOCKET = "metrics";

    private final SluiceMetrics metrics;
    private final Handler access;

    private MetricsService(SluiceMetrics metrics, Handler access) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.access = Objects.requireNonNull(access, "access");
    }

    /** @param access runs before the scrape and throws (or does not call {@code next}) to refuse it */
    public static MetricsService create(SluiceMetrics metrics, Handler access) {
        return new MetricsService(metrics, access);
    }

    /**
     * The management listener {@code metrics-host}:{@code metrics-port} as the one named socket, {@value #SOCKET}
     * (empty when {@code metrics-port} is 0): {@code /metrics}, and {@code /health} (liveness) and
     * {@code /health/ready} (readiness) answered by {@code health}, the role's own health service (the very one its
     * main port serves, for a gateway), all without authentication; nothing else, and nothing of any tenant.
     * Unauthenticated by design, so it binds loopback unless the operator names another address. It is where
     * Kubernetes probes a worker, whose internal port wants the worker secret.
     *
     * @param health serves {@code GET /} (liveness) and {@code GET /ready} (readiness), mounted at {@code /health}
     */
    public static Map<String, ListenerConfig> managementSockets(MetricsConfig config, SluiceMetrics metrics,
                                                                HttpService health) {
        Objects.requireNonNull(health, "health");
        if (!config.enabled()) {
            return Map.of();
        }
        MetricsService open = create(metrics, (req, res) -> res.next());
        return Map.of(SOCKET, ListenerConfig.builder()
                .name(SOCKET)
                .host(config.metricsHost())
                .port(config.metricsPort())
                .protocolsDiscoverServices(false)
                .addProtocol(Http1Config.create())
                .routing(routing -> routing.error(Throwable.class, new ErrorMapper())
                        .register("/metrics", open)
                        .register("/health", health)
                        .any((req, res) -> {
                            throw ProblemException.of(ProblemType.NOT_FOUND,
                                    "only /metrics, /health and /health/ready are served here");
                        }))
                .build());
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any(access).get("/", this::scrape);
    }

    private void scrape(ServerRequest req, ServerResponse res) {
        // Written to memory first: a scrape is a few kilobytes per tenant, and a failure must not leave half a body.
        ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
        try {
            metrics.scrape(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        res.header(HeaderNames.CONTENT_TYPE, metrics.contentType());
        res.send(body.toByteArray());
    }
}
