package dev.sluice.scheduler.cluster;

import java.util.List;

/**
 * Discovery, as a gateway sees it: the workers that are there now. Implementations: a static list (tests, small
 * fixed set-ups), Redis heartbeats with a time to live, and a Kubernetes headless Service (DNS A records,
 * re-resolved periodically). A worker that joins or leaves shows up here within the implementation's refresh
 * interval (2 s at most for Redis). Health (ejection of a stalled worker) is not the directory's business: the
 * balancer decides that from the calls' outcomes and health checks.
 *
 * <p>Thread-safe; {@link #workers()} is cheap (a snapshot refreshed in the background), called on every dispatch.
 */
public interface WorkerDirectory extends AutoCloseable {
    /** The workers known now; never null, possibly empty. */
    List<WorkerAddress> workers();

    @Override
    default void close() {}
}
