package dev.sluice.gateway;

import dev.sluice.config.CallListener;
import dev.sluice.gateway.metrics.SluiceMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Vault's requests for the metrics, which do not exist yet when Vault is first asked: the configuration read from it
 * says how the metrics are exported (OTLP). Requests before {@link #bind} are held (at most {@value #MAX_HELD}; a
 * start makes a handful: a login and the configuration tree) and told once the metrics exist; later ones go straight
 * through. Thread-safe: Vault's pool and the start may call at once.
 */
final class DeferredVaultCalls implements CallListener {
    static final int MAX_HELD = 1024;

    private record Call(String operation, long nanos, boolean failed) {
    }

    private final List<Call> held = new ArrayList<>();
    private volatile SluiceMetrics metrics;

    @Override
    public void call(String operation, long nanos, boolean failed) {
        SluiceMetrics bound = metrics;
        if (bound == null) {
            synchronized (held) {
                bound = metrics;
                if (bound == null) {
                    if (held.size() < MAX_HELD) {
                        held.add(new Call(operation, nanos, failed));
                    }
                    return;
                }
            }
        }
        bound.vaultRequest(operation, nanos, failed);
    }

    /** From now on every request goes to {@code metrics}, those held first. */
    void bind(SluiceMetrics metrics) {
        Objects.requireNonNull(metrics, "metrics");
        synchronized (held) {
            held.forEach(c -> metrics.vaultRequest(c.operation(), c.nanos(), c.failed()));
            held.clear();
            this.metrics = metrics;
        }
    }
}
