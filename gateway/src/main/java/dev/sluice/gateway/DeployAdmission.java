package dev.sluice.gateway;

import dev.sluice.gateway.core.DeploySlots;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.tracing.Tracing;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.tenancy.TenantId;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p>A tenant's running slot is given back only when its deploy has really ended, or was dropped before it started:
 * never while a deploy thread may still be working on it. {@link #close} drops the deploys still queued and answers
 * their callers (and those waiting for a slot) with {@code 503 unavailable}; deploys running are interrupted and
 * their callers get whatever they end with.
 *
 * <p>Thread-safe. A {@link Ticket} is used by the one request thread that took it, and closed in {@code finally}.
 */
final class DeployAdmission implements DeploySlots, AutoCloseable {
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
    /** Guarded by {@code this}. */
    private boolean closed;

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
                    if (executor.isShutdown()) {
                        throw stopping();
                    }
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
    @Override
    public Ticket admit(TenantId tenant) {
        Share share;
        synchronized (this) {
            if (closed) {
                throw stopping();
            }
            share = shares.computeIfAbsent(tenant, t -> new Share(runningPerTenant));
            if (share.inProgress >= inProgressPerTenant) {
                throw limited(tenant);
            }
            share.inProgress++;
        }
        return new Ticket(tenant, share);
    }

    /**
     * Stops the deploy threads: deploys running are interrupted, deploys queued are dropped and their callers
     * answered with {@code 503 unavailable}, and so are callers still waiting for their tenant's slot.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            // Wakes every caller waiting for a slot (a tenant has at most inProgressPerTenant); each finds the
            // admission closed and leaves. Nothing is admitted any more, so the count no longer matters.
            shares.values().forEach(share -> share.running.release(inProgressPerTenant));
        }
        for (Runnable dropped : pool.shutdownNow()) {
            if (dropped instanceof DeployTask<?> task) {
                task.drop(stopping());
            }
        }
    }

    private static ProblemException stopping() {
        return ProblemException.of(ProblemType.UNAVAILABLE, "the server is shutting down; the deploy did not run")
                .header("Retry-After", RETRY_AFTER_SECONDS);
    }

    /** Deploys waiting in the pool's queue for a thread; for tests. */
    int queuedDeploys() {
        return pool.getQueue().size();
    }

    private synchronized boolean closed() {
        return closed;
    }

    private ProblemException limited(TenantId tenant) {
        return ProblemException.of(ProblemType.DEPLOY_LIMITED, "tenant " + tenant + " has " + inProgressPerTenant
                        + " deploys in progress, the most it may have; retry when one is done")
                .with("max-deploys-in-progress", inProgressPerTenant)
                .header("Retry-After", RETRY_AFTER_SECONDS);
    }

    private synchronized void leave(TenantId tenant, Share share) {
        if (--share.inProgress == 0) {
            shares.remove(tenant, share);
        }
    }

    /**
     * An admitted deploy; {@link #close} gives its place back, or the end of its deploy does if that comes later (a
     * caller interrupted while its deploy runs on).
     */
    final class Ticket implements DeploySlots.Slot {
        private final TenantId tenant;
        private final Share share;
        private boolean closed; // guarded by the DeployAdmission
        /** Deploys of this ticket not ended yet; its place is given back when none is left. Guarded likewise. */
        private int live;

        private Ticket(TenantId tenant, Share share) {
            this.tenant = tenant;
            this.share = share;
        }

        /**
         * Runs {@code deploy} on a deploy thread once the tenant has a running slot, and waits for it.
         *
         * @throws ProblemException                 {@code deploy-limited} when no slot came free within the wait
         * @throws SchedulerException.Overloaded    when every tenant together filled the queue
         * @throws ProblemException                 {@code unavailable} when the admission closed before it ran
         */
        @Override
        public <T> T run(Supplier<T> deploy) {
            try {
                if (!share.running.tryAcquire(maxWait.toNanos(), TimeUnit.NANOSECONDS)) {
                    throw limited(tenant);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ProblemException.of(ProblemType.UNAVAILABLE, "the deploy was interrupted");
            }
            // From here the slot, and the ticket's place, are the task's too: both are given back only when the deploy
            // has ended or was dropped unstarted, even if this thread stops waiting for it.
            synchronized (DeployAdmission.this) {
                live++;
            }
            // The request's trace context goes with the deploy to the deploy thread (its spans are the request's).
            DeployTask<T> task = DeployTask.of(Tracing.inCurrentTrace(deploy), this::ended);
            if (closed()) {
                task.drop(stopping());
            } else {
                try {
                    pool.execute(task);
                } catch (RuntimeException refused) {
                    task.drop(refused);
                }
            }
            try {
                return task.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException("deploy failed", e.getCause());
            } catch (InterruptedException e) {
                // Unstarted: it never will. Started: interrupted, and its thread gives the slot back when it ends.
                if (!task.drop(ProblemException.of(ProblemType.UNAVAILABLE, "the deploy was interrupted"))) {
                    task.cancel(true);
                }
                Thread.currentThread().interrupt();
                throw ProblemException.of(ProblemType.UNAVAILABLE, "the deploy was interrupted");
            }
        }

        private void ended() {
            share.running.release();
            synchronized (DeployAdmission.this) {
                if (--live == 0 && closed) {
                    leave(tenant, share);
                }
            }
        }

        @Override
        public void close() {
            synchronized (DeployAdmission.this) {
                if (!closed) {
                    closed = true;
                    if (live == 0) {
                        leave(tenant, share);
                    }
                }
            }
        }
    }

    /**
     * A deploy holding one of its tenant's running slots. Exactly one of two things ends it: the deploy thread that
     * starts it, when the deploy returns or throws; or {@link #drop}, for a deploy that never started.
     */
    private static final class DeployTask<T> extends FutureTask<T> {
        private final AtomicBoolean claimed;
        private final Runnable ended;

        private DeployTask(Callable<T> body, AtomicBoolean claimed, Runnable ended) {
            super(body);
            this.claimed = claimed;
            this.ended = ended;
        }

        /** {@code ended} runs once, when the deploy has ended or was dropped unstarted. */
        static <T> DeployTask<T> of(Supplier<T> deploy, Runnable ended) {
            AtomicBoolean claimed = new AtomicBoolean();
            return new DeployTask<>(() -> {
                if (!claimed.compareAndSet(false, true)) {
                    // Dropped as it started: its caller has its answer, and this result is ignored.
                    throw new IllegalStateException("deploy dropped before it started");
                }
                try {
                    return deploy.get();
                } finally {
                    ended.run();
                }
            }, claimed, ended);
        }

        /** Ends the deploy with {@code why} if it has not started; false when it has (its thread ends it). */
        boolean drop(RuntimeException why) {
            if (!claimed.compareAndSet(false, true)) {
                return false;
            }
            ended.run();
            setException(why);
            return true;
        }
    }
}
