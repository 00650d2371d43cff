package dev.sluice.gateway.remote;

import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.cluster.WorkerHealthCheck;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;

/**
 * The balancer's {@link WorkerHealthCheck}: {@code GET /internal/v1/health} with the worker secret, over a fresh
 * HTTP/1.1 connection of its own (not the calls' HTTP/2 connection, which a stalled worker may be holding). Healthy
 * means {@code 200}: a draining worker answers {@code 503} and stays out. Gives up after {@code timeout}.
 * Thread-safe; the balancer calls it from its background thread.
 */
public final class WorkerHealthProbe implements WorkerHealthCheck, AutoCloseable {
    private final String secret;
    private final Duration timeout;
    private final HttpClient client;

    private WorkerHealthProbe(String secret, Duration timeout) {
        this.secret = Objects.requireNonNull(secret, "secret");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    public static WorkerHealthProbe create(String secret, Duration timeout) {
        return new WorkerHealthProbe(secret, timeout);
    }

    @Override
    public boolean answers(WorkerAddress worker) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + worker.authority()
                        + InternalProtocol.HEALTH))
                .header(InternalProtocol.SECRET.defaultCase(), secret)
                .timeout(timeout)
                .GET()
                .build();
        try {
            return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
