package dev.sluice.scheduler.cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A fixed list of workers ({@code worker-discovery: static}): tests and small set-ups that never change. */
public final class StaticWorkerDirectory implements WorkerDirectory {
    private final List<WorkerAddress> workers;

    private StaticWorkerDirectory(List<WorkerAddress> workers) {
        this.workers = List.copyOf(workers);
        Set<String> ids = new HashSet<>();
        for (WorkerAddress worker : this.workers) {
            if (!ids.add(worker.id())) {
                throw new IllegalArgumentException("worker-addresses: worker id '" + worker.id()
                        + "' is listed twice (expected: each worker once)");
            }
        }
    }

    public static StaticWorkerDirectory of(List<WorkerAddress> workers) {
        return new StaticWorkerDirectory(workers);
    }

    /**
     * The {@code worker-addresses} setting: comma-separated {@code host:port} (an IPv6 host in brackets), each
     * worker's id being its {@code host:port}, each running at most {@code maxConcurrency} calls at once.
     */
    public static StaticWorkerDirectory parse(String addresses, int maxConcurrency) {
        List<WorkerAddress> workers = new ArrayList<>();
        for (String entry : addresses.split(",")) {
            String trimmed = entry.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            int colon = trimmed.lastIndexOf(':');
            String host = colon > 0 ? trimmed.substring(0, colon) : "";
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = colon > 0 ? Integer.parseInt(trimmed.substring(colon + 1)) : -1;
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (host.isEmpty() || port < 1 || port > 65535 || (host.indexOf(':') >= 0 && !trimmed.startsWith("["))) {
                throw new IllegalArgumentException("worker-addresses: '" + trimmed
                        + "' (expected: host:port with a port of 1 to 65535, an IPv6 host in brackets)");
            }
            workers.add(new WorkerAddress(trimmed, host, port, maxConcurrency));
        }
        if (workers.isEmpty()) {
            throw new IllegalArgumentException("worker-addresses: '" + addresses
                    + "' (expected: at least one host:port for static discovery)");
        }
        return new StaticWorkerDirectory(workers);
    }

    @Override
    public List<WorkerAddress> workers() {
        return workers;
    }

    @Override
    public String toString() {
        return "StaticWorkerDirectory" + workers.stream().map(WorkerAddress::authority).toList();
    }
}
