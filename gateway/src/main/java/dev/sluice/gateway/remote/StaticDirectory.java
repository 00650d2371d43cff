package dev.sluice.gateway.remote;

import dev.sluice.config.ClusterConfig;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.cluster.WorkerDirectory;
import java.util.List;

/** {@code worker-discovery = static}: the configured {@code worker-addresses}, each its own id. */
public final class StaticDirectory implements WorkerDirectory {
    private final List<WorkerAddress> workers;

    private StaticDirectory(List<WorkerAddress> workers) {
        this.workers = List.copyOf(workers);
    }

    /** @param maxConcurrency what each worker is assumed to run at once (they all share one configuration) */
    public static StaticDirectory of(List<String> addresses, int maxConcurrency) {
        return new StaticDirectory(addresses.stream().map(a -> {
            ClusterConfig.HostPort hp = ClusterConfig.hostPort(a);
            WorkerAddress probe = new WorkerAddress("x", hp.host(), hp.port(), maxConcurrency);
            return new WorkerAddress(probe.authority(), hp.host(), hp.port(), maxConcurrency);
        }).toList());
    }

    @Override
    public List<WorkerAddress> workers() {
        return workers;
    }
}
