package dev.sluice.gateway.remote;

import dev.sluice.scheduler.cluster.WorkerAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Whether a worker still accepts connections, asked while calls wait on it: a worker process that died (kill -9,
 * crash, OOM) refuses connections at once, which tells a lost call from a slow one long before its timeout. One
 * TCP connect per worker per {@link #interval()} at most, whatever the number of calls waiting; the answer is
 * shared. A worker that stalls but still accepts connections is not caught here: its calls end at their timeout.
 * Thread-safe.
 */
final class WorkerLiveness {
    private final Duration interval;
    private final Duration connectTimeout;
    private final LongSupplier nanoTime;
    private final Map<String, Probe> probes = new ConcurrentHashMap<>();

    private record Probe(long atNanos, boolean accepting) {}

    WorkerLiveness(Duration interval, Duration connectTimeout, LongSupplier nanoTime) {
        this.interval = interval;
        this.connectTimeout = connectTimeout;
        this.nanoTime = nanoTime;
    }

    Duration interval() {
        return interval;
    }

    boolean accepting(WorkerAddress worker) {
        long now = nanoTime.getAsLong();
        Probe last = probes.get(worker.id());
        if (last != null && now - last.atNanos() < interval.toNanos()) {
            return last.accepting();
        }
        // Two callers may probe at once for one worker; that is harmless, and cheaper than a lock.
        boolean accepting = connects(worker);
        probes.put(worker.id(), new Probe(nanoTime.getAsLong(), accepting));
        return accepting;
    }

    private boolean connects(WorkerAddress worker) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(worker.host(), worker.port()), (int) connectTimeout.toMillis());
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
