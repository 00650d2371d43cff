package dev.sluice.gateway.remote;

import dev.sluice.scheduler.cluster.WorkerAddress;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Whether a worker is provably gone, asked while calls wait on it: a worker process that died (kill -9, crash, OOM)
 * refuses connections at once, which tells a lost call from a slow one long before its timeout. One TCP connect
 * per worker per {@link #interval()} at most, whatever the number of calls waiting; the answer is shared.
 *
 * <p>Only a refusal (or no route to the host) means gone. A probe that times out means "unknown": a worker whose
 * accept queue is full, or a slow network, is not a dead worker, and declaring it dead would turn a call that may
 * still be connecting (and so may yet be retried elsewhere) into a {@code worker-lost}. A worker that stalls but
 * still accepts connections is not caught here: its calls end at their timeout. Thread-safe.
 */
final class WorkerLiveness {
    private final Duration interval;
    private final Duration connectTimeout;
    private final LongSupplier nanoTime;
    private final Map<String, Probe> probes = new ConcurrentHashMap<>();

    private record Probe(long atNanos, boolean gone) {}

    WorkerLiveness(Duration interval, Duration connectTimeout, LongSupplier nanoTime) {
        this.interval = interval;
        this.connectTimeout = connectTimeout;
        this.nanoTime = nanoTime;
    }

    Duration interval() {
        return interval;
    }

    /** True only when the worker provably no longer accepts connections (refused, no route). */
    boolean gone(WorkerAddress worker) {
        long now = nanoTime.getAsLong();
        Probe last = probes.get(worker.authority());
        if (last != null && now - last.atNanos() < interval.toNanos()) {
            return last.gone();
        }
        // Two callers may probe at once for one worker; that is harmless, and cheaper than a lock.
        boolean gone = refuses(worker);
        probes.put(worker.authority(), new Probe(nanoTime.getAsLong(), gone));
        return gone;
    }

    /** Forgets probes older than {@code idle} (workers no longer called, e.g. after DNS churn). */
    void forgetIdle(Duration idle) {
        long now = nanoTime.getAsLong();
        probes.values().removeIf(p -> now - p.atNanos() >= idle.toNanos());
    }

    /** How many workers have a remembered probe (tests). */
    int probeCount() {
        return probes.size();
    }

    private boolean refuses(WorkerAddress worker) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(worker.host(), worker.port()), (int) connectTimeout.toMillis());
            return false;
        } catch (ConnectException | NoRouteToHostException refused) {
            return true;
        } catch (IOException unknown) {
            return false; // a timeout, or any other doubt: not proof that the worker is gone
        }
    }
}
