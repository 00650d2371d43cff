package dev.sluice.scheduler.cluster;

import dev.sluice.scheduler.SchedulerException;
import java.util.Set;

/**
 * Chooses the worker for each remote invocation: placement (power of two choices on outstanding calls, with
 * affinity for workers that already hold the module's compiled code, which yields under load), a concurrency limit
 * per worker, and, when every worker is full, a fair queue per tenant with a bounded wait, so a flooding tenant
 * fills only its own share. It also ejects workers whose calls fail or stall (outlier detection) until they answer
 * health checks again.
 *
 * <p>The caller reports each pick's outcome exactly once ({@link Pick}); outcomes drive both the outstanding counts
 * and the ejection. Thread-safe.
 */
public interface Balancer extends AutoCloseable {
    /**
     * Waits in the tenant's queue for a worker with room, at most until {@code deadlineNanos} (on the balancer's
     * nano clock).
     *
     * @param tenant   whose share the call counts against
     * @param digest   the module's digest, for affinity
     * @param excluded worker ids not to pick (those where this call could not start: refused connection or stream;
     *                 not those merely busy, see {@link Pick#refused()})
     * @throws SchedulerException.Overloaded when no worker is known, the tenant's queue is full, or the deadline
     *                                       passes first
     */
    Pick acquire(String tenant, String digest, Set<String> excluded, long deadlineNanos);

    /** One worker chosen for one call; report exactly one outcome. */
    interface Pick {
        WorkerAddress worker();

        /** The worker answered (whatever the guest did). */
        void succeeded();

        /** The call provably never started there (refused connection or stream, GOAWAY, the worker's refusal). */
        void notStarted();

        /** The call started and the worker was lost (connection reset, died) or stalled past the call's timeout. */
        void lost();

        /**
         * The worker refused the call for want of room (its own admission limit, e.g. filled by other gateways): like
         * {@link #notStarted()} the call may go elsewhere, but the worker is busy, not failing, so this does not count
         * towards its ejection. The call never started, so the caller may {@link Balancer#acquire} again for it; it
         * need not exclude this worker, which the balancer leaves alone until it is likely to have room again, so the
         * call waits in its tenant's queue instead of failing at once when every worker is busy.
         */
        default void refused() {
            notStarted();
        }
    }

    @Override
    default void close() {}
}
