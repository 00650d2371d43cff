package dev.sluice.gateway.remote;

import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.cluster.Balancer;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.cluster.WorkerDirectory;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The simplest {@link Balancer} that keeps the contract: the known worker with the fewest outstanding calls, at most
 * its {@code maxConcurrency} each, waiting (in arrival order, no per-tenant fairness) until the deadline when all
 * are full. No affinity, no ejection: it stands in until the placement balancer of {@code scheduler.cluster} is
 * wired in its place. Thread-safe.
 */
public final class StandInBalancer implements Balancer {
    private final WorkerDirectory directory;
    private final LongSupplier nanoTime;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private final Map<String, Integer> outstanding = new HashMap<>(); // guarded by lock

    public StandInBalancer(WorkerDirectory directory, LongSupplier nanoTime) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    @Override
    public Pick acquire(String tenant, String digest, Set<String> excluded, long deadlineNanos) {
        lock.lock();
        try {
            while (true) {
                WorkerAddress best = null;
                boolean anyCandidate = false;
                for (WorkerAddress worker : directory.workers()) {
                    if (excluded.contains(worker.id())) {
                        continue;
                    }
                    anyCandidate = true;
                    int load = outstanding.getOrDefault(worker.id(), 0);
                    if (load < worker.maxConcurrency()
                            && (best == null || load < outstanding.getOrDefault(best.id(), 0))) {
                        best = worker;
                    }
                }
                if (best != null) {
                    outstanding.merge(best.id(), 1, Integer::sum);
                    return new StandInPick(best);
                }
                if (!anyCandidate) {
                    throw new SchedulerException.Overloaded(excluded.isEmpty() ? "no worker is known"
                            : "no worker could start the invocation");
                }
                long left = deadlineNanos - nanoTime.getAsLong();
                if (left <= 0) {
                    throw new SchedulerException.Overloaded("every worker stayed busy until the call's deadline");
                }
                released.awaitNanos(Math.min(left, 50_000_000L)); // re-read the directory now and then
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException.Overloaded("interrupted while waiting for a worker");
        } finally {
            lock.unlock();
        }
    }

    private final class StandInPick implements Pick {
        private final WorkerAddress worker;
        private boolean reported;

        StandInPick(WorkerAddress worker) {
            this.worker = worker;
        }

        @Override
        public WorkerAddress worker() {
            return worker;
        }

        @Override
        public void succeeded() {
            release();
        }

        @Override
        public void notStarted() {
            release();
        }

        @Override
        public void lost() {
            release();
        }

        private void release() {
            lock.lock();
            try {
                if (reported) {
                    throw new IllegalStateException("outcome already reported for " + worker.id());
                }
                reported = true;
                outstanding.computeIfPresent(worker.id(), (id, n) -> n > 1 ? n - 1 : null);
                released.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
