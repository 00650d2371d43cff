package dev.sluice.scheduler.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the directories that re-read a source (DNS, Redis) share: one daemon thread that calls their refresh at a fixed
 * delay, and {@link #settle}, which turns what a refresh found into the snapshot readers get. Thread-safe.
 */
public final class DirectoryRefresher implements AutoCloseable {
    private final ScheduledExecutorService refresher; // null when the owner refreshes by hand

    private DirectoryRefresher(ScheduledExecutorService refresher) {
        this.refresher = refresher;
    }

    /**
     * Calls {@code refresh} every {@code every} (the first time after one interval) on a daemon thread named
     * {@code threadName}; with {@code every} null, never (the owner calls it, as tests do).
     */
    public static DirectoryRefresher every(Duration every, String threadName, Runnable refresh) {
        if (every == null) {
            return new DirectoryRefresher(null);
        }
        ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        long millis = every.toMillis();
        refresher.scheduleWithFixedDelay(refresh, millis, millis, TimeUnit.MILLISECONDS);
        return new DirectoryRefresher(refresher);
    }

    /**
     * The workers {@code found}, sorted by id, or {@code previous} itself when it holds the same ones: the same
     * workers found in another order are the same list, and the balancer sees no change.
     */
    public static List<WorkerAddress> settle(List<WorkerAddress> found, List<WorkerAddress> previous) {
        List<WorkerAddress> sorted = new ArrayList<>(found);
        sorted.sort(Comparator.comparing(WorkerAddress::id));
        List<WorkerAddress> snapshot = List.copyOf(sorted);
        return snapshot.equals(previous) ? previous : snapshot;
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }
}
