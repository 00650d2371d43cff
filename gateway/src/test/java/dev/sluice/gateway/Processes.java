package dev.sluice.gateway;

import dev.sluice.tenancy.testing.RedisTestServer;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The processes of a multi-process test: the gateways and workers it {@link #start}ed and the Redis server they share,
 * stopped after each test (processes last first, then Redis). Register with
 * {@code @RegisterExtension final Processes processes = new Processes();}.
 */
final class Processes implements AfterEachCallback {
    /** HTTP/1.1, as an operator's client speaks it, with a connect timeout generous enough for a loaded machine. */
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final List<GatewayProcess> started = new ArrayList<>();
    private RedisTestServer redis;

    GatewayProcess start(GatewayProcess process) {
        started.add(process);
        return process;
    }

    /** This test's Redis server, started on first use. */
    RedisTestServer redis() {
        if (redis == null) {
            redis = RedisTestServer.start();
        }
        return redis;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        started.reversed().forEach(GatewayProcess::close);
        started.clear();
        if (redis != null) {
            redis.close();
            redis = null;
        }
    }
}
