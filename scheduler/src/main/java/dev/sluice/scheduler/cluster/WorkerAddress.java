package dev.sluice.scheduler.cluster;

import java.util.Objects;

/**
 * Where a worker process listens for invocations (its internal h2c port), and what it calls itself.
 *
 * @param id             stable for the life of one worker process; a restarted worker may reuse it
 * @param host           host name or address, as gateways should dial it
 * @param port           the worker's internal port
 * @param maxConcurrency invocations it runs at once; beyond it the worker refuses (and the gateway queues)
 */
public record WorkerAddress(String id, String host, int port, int maxConcurrency) {
    public WorkerAddress {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(host, "host");
        if (id.isBlank() || id.length() > 200) {
            throw new IllegalArgumentException("worker-id: '" + id + "' (expected: 1 to 200 characters)");
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("worker host: blank (expected: a host name or address)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("worker port: " + port + " (expected: 1 to 65535)");
        }
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("worker max-concurrency: " + maxConcurrency + " (expected: > 0)");
        }
    }

    /** {@code host:port}, for URIs and logs. */
    public String authority() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
