package dev.sluice.gateway;

import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.tenancy.TenantId;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Where deploys run, and how many of them each tenant may have. Parsing, instrumenting and storing a module is
 * CPU-bound, so deploys run on a few platform threads ({@code threads}), never on request threads; and so that one
 * tenant's redeploys never hold up another tenant's deploy, each tenant gets a share:
 * <ul>
 *   <li>it runs at most {@code threads - 1} deploys at once (at least one): another tenant always finds a deploy
 *       thread free, as with the workers;</li>
 *   <li>{@code waitingPerTenant} more may wait for the tenant's own running slots, at most {@code maxWait};</li>
 *   <li>beyond that, or after waiting that long, the deploy is refused with {@code 429 deploy-limited} and a
 *       {@code Retry-After}, before its module is read.</li>
 * </ul>
 * Across tenants the pool's queue holds at most {@code queue} deploys; beyond it {@code 503 overloaded}. The compiles
 * these deploys start are bounded and shared fairly by the scheduler (docs/performance.md).
 *
 * <p>Thread-safe. A {@link Ticket} is used by the one request thread that took it, and closed in {@code finally}.
 */
final class DeployAdmission implements AutoCloseable {
    /** Deploys a tenant may have waiting for its own running slots. */
    static final int WAITING_PER_TENANT = 2;
    /** How long a waiting deploy waits for its tenant's slot: below common client timeouts. */
    static final Duration MAX_WAIT = Duration.ofSeconds(20);
    /** Deploys queued for a thread, all tenants together. */
    static final int QUEUE = 16;
    private static final String RETRY_AFTER_SECONDS = "1";

    private final ThreadPoolExecutor pool;
    private final int runningPerTenant;
    private final int inProgressPerTenant;
    private final Duration maxWait;
    /** Tenants with deploys in progress. Guarded by {@code this}. */
    private final Map<TenantId, Share> shares = new HashMap<>();

    /** One tenant's deploys in progress; gone when it has none. */
    private static final class Share {
        final Semaphore running;
        int inProgress; // guarded by the DeployAdmission

        Share(int permits) {
            this.running = new Semaphore(permits, true);
        }
    }

    DeployAdmission(int threads, int queue, int waitingPerTenant, Duration maxWait) {
        if (threads < 1 || queue < 1 || waitingPerTenant < 0 || maxWait.isNegative()) {
            throw new IllegalArgumentException("deploy pool: threads " + threads + ", queue " + queue + ", waiting "
                    + waitingPerTenant + ", wait " + maxWait + " (expected: threads, queue > 0; the rest >= 0)");
        }
        this.runningPerTenant = Math.max(1, threads - 1);
        this.inProgressPerTenant = runningPerTenant + waitingPerTenant;
        this.maxWait = maxWait;
        AtomicInteger count = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queue), r -> {
                    Thread thread = new Thread(r, "sluice-deploy-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, (task, executor) -> {
                    throw new SchedulerException.Overloaded("too many deploys in progress; retry shortly");
                });
    }

    /**
     * For a gateway on {@code processors} processors: one deploy thread per two processors (deploys are CPU-bound
     * parsing and instrumenting), at least two (so that a tenant's share, all threads but one, leaves one for the
     * others).
     */
    static DeployAdmission forProcessors(int processors) {
        return new DeployAdmission(Math.max(2, processors / 2), QUEUE, WAITING_PER_TENANT, MAX_WAIT);
    }

    /**
     * Admits one deploy of {@code tenant}, or refuses it with {@code 429 deploy-limited} when the tenant already has
     * its share in progress. Cheap: call it before reading the module.
     */
    Ticket admit(TenantId tenant) {
        Share share;
        synchronized (this) {
            share = shares.computeIfAbsent(tenant, t -> new Share(runningPerTenant));
            if (share.inProgress >= inProgressPerTenant) {
                throw limited(tenant);
            }
            share.inProgress++;
        }
        return new Ticket(tenant, share);
    }

    /** Stops the deploy threads; deploys running are interrupted. */
    @Override
    public void close() {
        pool.shutdownNow();
    }

    private ProblemException limited(TenantId tenant) {
        return ProblemException.of(ProblemType.DEPLOY_LIMITED, "tenant " + tenant + " has " + inProgressPerTenant
                        + " deploys in progress, the most it may have; retry when one is done")
                .with("max-deploys-in-progress", inProgressPerTenant)
                .header("Retry-After", RETRY_AFTER_SECONDS);
    }

    private void leave(TenantId tenant, Share share) {
        synchronized (this) {
            if (--share.inProgress == 0) {
                shares.remove(tenant, share);
            }
        }
    }

    /** An admitted deploy; {@link #close} gives its place back. */
    final class Ticket implements AutoCloseable {
        private final TenantId tenant;
        private final Share share;
        private boolean closed;

        private Ticket(TenantId tenant, Share share) {
            this.tenant = tenant;
            this.share = share;
        }

        /**
         * Runs {@code deploy} on a deploy thread once the tenant has a running slot, and waits for it.
         *
         * @throws ProblemException                 {@code deploy-limited} when no slot came free within the wait
         * @throws SchedulerException.Overloaded    when every tenant together filled the queue
         */
        <T> T run(Supplier<T> deploy) {
            try {
                if (!share.running.tryAcquire(maxWait.toNanos(), TimeUnit.NANOSECONDS)) {
                    throw limited(tenant);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ProblemException.of(ProblemType.UNAVAILABLE, "the deploy was interrupted");
            }
            try {
                Future<T> future = pool.submit(deploy::get);
                try {
                    return future.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException runtime) {
                        throw runtime;
                    }
                    throw new IllegalStateException("deploy failed", e.getCause());
                } catch (InterruptedException e) {
                    future.cancel(true);
                    Thread.currentThread().interrupt();
                    throw ProblemException.of(ProblemType.UNAVAILABLE, "the deploy was interrupted");
                }
            } finally {
                share.running.release();
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                leave(tenant, share);
            }
        }
    }
}
