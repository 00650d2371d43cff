package dev.sluice.gateway.remote;

import dev.sluice.scheduler.Dispatcher;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationObserver;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.cluster.Balancer;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The gateway's {@link Dispatcher}: each invocation runs on a remote worker the {@link Balancer} picks, over
 * {@link WorkerClient}'s HTTP/2 connections. Quotas, usage and fuel settlement stay with the caller, exactly as for
 * the in-process pool: a guest failure comes back as {@link InvocationFailed} with the fuel the worker measured.
 *
 * <p>At most once: a call moves to another worker only when the previous one provably never started it (no
 * connection, or the worker's own refusal); each worker is tried at most once per call, and the balancer's wait
 * (bounded by the function's timeout) ends the search with {@link SchedulerException.Overloaded}. A call that was
 * handed to a worker that then went away is {@link SchedulerException.WorkerLost}; one that got no answer within
 * its timeout plus {@code stallMargin} is a {@link InvocationFailed.Kind#TIMEOUT}. Neither is ever re-run.
 * Thread-safe.
 */
public final class RemoteDispatcher implements Dispatcher {
    private static final System.Logger LOG = System.getLogger(RemoteDispatcher.class.getName());
    /** How often a worker running a waiting call is checked for still accepting connections. */
    private static final Duration LIVENESS_INTERVAL = Duration.ofMillis(250);

    private final Balancer balancer;
    private final WorkerClient client;
    private final LongSupplier nanoTime;
    private final Duration stallMargin;

    private RemoteDispatcher(Balancer balancer, WorkerClient client, LongSupplier nanoTime, Duration stallMargin) {
        this.balancer = Objects.requireNonNull(balancer, "balancer");
        this.client = client;
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.stallMargin = Objects.requireNonNull(stallMargin, "stallMargin");
    }

    /**
     * @param secret      the shared worker secret, sent on every call
     * @param nanoTime    the balancer's nano clock (deadlines are on it)
     * @param stallMargin how long past a function's timeout an answer may take (network, a worker's watchdog)
     */
    public static RemoteDispatcher create(Balancer balancer, String secret, LongSupplier nanoTime,
                                          Duration connectTimeout, Duration stallMargin) {
        WorkerLiveness liveness = new WorkerLiveness(LIVENESS_INTERVAL, connectTimeout, nanoTime);
        return new RemoteDispatcher(balancer, new WorkerClient(Objects.requireNonNull(secret, "secret"),
                connectTimeout, liveness, nanoTime), nanoTime, stallMargin);
    }

    @Override
    public InvocationResult invoke(FunctionSpec function, InvocationRequest request, InvocationObserver observer) {
        // Waiting for a worker counts against the same bound as the in-process queue: the function's timeout.
        // Saturated (centuries either way): Long.MAX_VALUE ms overflowed Duration.toNanos() in the HTTP/2 client.
        long deadline = nanoTime.getAsLong() + Math.min(TimeUnit.MILLISECONDS.toNanos(function.timeoutMs()),
                Long.MAX_VALUE / 4);
        Duration answerWithin = Duration.ofNanos(Math.min(TimeUnit.MILLISECONDS.toNanos(function.timeoutMs()),
                Long.MAX_VALUE / 4) + Math.min(stallMargin.toNanos(), Long.MAX_VALUE / 4));
        Set<String> refused = new HashSet<>();
        long queuedAt = nanoTime.getAsLong();
        while (true) {
            Balancer.Pick pick = balancer.acquire(function.tenant(), function.digest(), Set.copyOf(refused), deadline);
            long started = nanoTime.getAsLong();
            observer.started(started - queuedAt);
            WorkerClient.Outcome outcome;
            try {
                outcome = client.call(pick.worker(), function, request, answerWithin);
            } catch (RuntimeException | Error e) {
                // Unclassified: the request may have reached the worker, so it counts as lost, never as retryable.
                pick.lost();
                throw new SchedulerException.WorkerLost("worker " + pick.worker().id() + " failed the call: " + e, e);
            } finally {
                observer.ran(nanoTime.getAsLong() - started);
            }
            queuedAt = nanoTime.getAsLong(); // a busy or refusing worker puts the call back in its queue
            switch (outcome) {
                case WorkerClient.Outcome.Completed completed -> {
                    pick.succeeded();
                    return completed.result();
                }
                case WorkerClient.Outcome.GuestFailed failed -> {
                    pick.succeeded();
                    throw failed.failure();
                }
                case WorkerClient.Outcome.Refused refusal -> {
                    pick.succeeded(); // the worker is fine; the call is not
                    throw refusal.error();
                }
                case WorkerClient.Outcome.Busy busy -> {
                    // Full (other gateways fill it too) or draining, not failing: the balancer learns the worker's
                    // room from this and the call waits in its tenant's queue again, until its deadline, rather
                    // than failing once every worker has refused it. A draining worker leaves the directory soon.
                    pick.refused();
                    if (busy.draining()) {
                        refused.add(pick.worker().id());
                    }
                    LOG.log(System.Logger.Level.DEBUG, "worker busy, waiting for room: " + busy.why());
                }
                case WorkerClient.Outcome.Unsent unsent -> {
                    pick.notStarted(); // nothing left this process: no worker saw the call
                    throw unsent.error();
                }
                case WorkerClient.Outcome.NotStarted notStarted -> {
                    pick.notStarted();
                    refused.add(pick.worker().id());
                    LOG.log(System.Logger.Level.DEBUG, "not started, trying another worker: " + notStarted.why());
                }
                case WorkerClient.Outcome.Lost lost -> {
                    pick.lost();
                    // Logged once, at WARNING, where the problem is rendered (ErrorMapper), with this message.
                    throw new SchedulerException.WorkerLost(lost.why() + "; the call is not retried (it may have "
                            + "run)", null);
                }
                case WorkerClient.Outcome.Stalled stalled -> {
                    pick.lost();
                    LOG.log(System.Logger.Level.WARNING, stalled.why());
                    // The provider's fault, not the tenant's: no fuel is charged for it.
                    throw new InvocationFailed(InvocationFailed.Kind.TIMEOUT, "function " + function.name()
                            + " got no answer within its timeout of " + function.timeoutMs() + " ms", null, 0);
                }
            }
        }
    }

    /** In-flight calls are the caller's to wait for (its drain); this closes the connections and the balancer. */
    @Override
    public void shutdown(long graceMillis) {
        try {
            client.close();
        } finally {
            balancer.close();
        }
    }
}
