package dev.sluice.gateway;

import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.cluster.Balancer;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.cluster.WorkerDirectory;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test double of the {@link Balancer}: always the first worker of the directory not yet excluded and not known to be
 * full (one that refused as busy is skipped from then on, as the real balancer skips it while it learns its room), no
 * limits, no waiting, so a test decides which worker a call meets first. Records each pick's reported outcome.
 */
final class FixedOrderBalancer implements Balancer {
    private final WorkerDirectory directory;
    final List<String> outcomes = new CopyOnWriteArrayList<>();
    private final Set<String> full = java.util.concurrent.ConcurrentHashMap.newKeySet();

    FixedOrderBalancer(WorkerDirectory directory) {
        this.directory = directory;
    }

    @Override
    public Pick acquire(String tenant, String digest, Set<String> excluded, long deadlineNanos) {
        WorkerAddress worker = directory.workers().stream()
                .filter(w -> !excluded.contains(w.id()) && !full.contains(w.id())).findFirst()
                .orElseThrow(() -> new SchedulerException.Overloaded("no worker left"));
        return new Pick() {
            @Override
            public WorkerAddress worker() {
                return worker;
            }

            @Override
            public void succeeded() {
                outcomes.add(worker.id() + ":succeeded");
            }

            @Override
            public void notStarted() {
                outcomes.add(worker.id() + ":not-started");
            }

            @Override
            public void lost() {
                outcomes.add(worker.id() + ":lost");
            }

            @Override
            public void refused() {
                full.add(worker.id());
                outcomes.add(worker.id() + ":refused");
            }
        };
    }
}
