package dev.sluice.scheduler;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.Overloaded;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The in-process {@link Dispatcher}: a fixed set of platform worker threads (guest code is CPU-bound and must not
 * pin the callers' virtual threads), shared fairly between tenants.
 *
 * <p>The contract, for any mix of hostile tenants (guests that sleep in {@code poll_oneoff}, spin, or arrive by the
 * thousand):
 * <ul>
 *   <li>A tenant runs at most {@code maxConcurrentPerTenant} invocations at once. The rest wait in its own bounded
 *       queue ({@code queuePerTenant}; beyond it {@link Overloaded} at once), never in front of other tenants' work,
 *       and each waits at most its function's timeout before giving up with {@link Overloaded}.</li>
 *   <li>The last {@code reservedWorkers} free workers only go to tenants that run nothing yet. So every worker is
 *       busy only when at least {@code reservedWorkers + ceil((workers - reservedWorkers) / maxConcurrentPerTenant)}
 *       tenants hold workers (the last ones taken each by a tenant that held none); with fewer, a tenant arriving
 *       with nothing running starts at once.</li>
 *   <li>A free worker serves, among the tenants with queued work it may serve, the one running fewest invocations;
 *       ties go round-robin. A tenant holding nothing is never behind one holding something.</li>
 *   <li>Every running invocation is stopped at its timeout (the watchdog interrupts its worker), and
 *       {@link #shutdown} lets running work finish within the grace, then stops it.</li>
 * </ul>
 * Workers are deliberately more numerous than cores (see {@link SchedulerSettings#workers()}): being platform
 * threads, the OS time-slices them, so a victim's short call gets CPU while other tenants' busy loops run, and a
 * sleeping guest holds a thread but no core. Isolation therefore rests on thread counts, which this class bounds,
 * not on the guests' good behaviour.
 *
 * <p>Threading: callers block in {@link #invoke} on a future. Queues and counters are guarded by {@code lock}; a
 * job's run state by the job's monitor, which is also what makes a timeout interrupt safe: the watchdog interrupts
 * a worker only while it still runs that job, and the worker clears its interrupt flag after leaving the job.
 */
final class WorkerPool implements Dispatcher {
    private static final System.Logger LOG = System.getLogger(WorkerPool.class.getName());
    private final SchedulerSettings settings;
    private final Function<String, Optional<CompiledModule>> modules;
    private final Sandbox sandbox;
    private final ScheduledThreadPoolExecutor watchdog;
    private final List<Thread> workers = new ArrayList<>();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workAvailable = lock.newCondition();
    private final Condition drained = lock.newCondition();
    // All guarded by lock.
    private final Map<String, Tenant> tenants = new HashMap<>();
    private final ArrayDeque<Tenant> ring = new ArrayDeque<>(); // exactly the tenants with queued jobs
    private final Set<Job> running = new HashSet<>();
    private int pending; // queued + running
    private boolean accepting = true;
    private boolean stopped;

    WorkerPool(SchedulerSettings settings, Function<String, Optional<CompiledModule>> modules) {
        this(settings, modules, new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sluice-watchdog");
            t.setDaemon(true);
            return t;
        }));
    }

    /** With the given watchdog, which the pool owns from now on (tests use one that lets a shutdown in). */
    WorkerPool(SchedulerSettings settings, Function<String, Optional<CompiledModule>> modules,
               ScheduledThreadPoolExecutor watchdog) {
        this.settings = settings;
        this.modules = modules;
        this.sandbox = new Sandbox(settings);
        this.watchdog = watchdog;
        watchdog.setRemoveOnCancelPolicy(true);
        for (int i = 0; i < settings.workers(); i++) {
            // Explicit stack size: guest recursion depth is bounded by it, so it must not depend on JVM defaults.
            Thread worker = new Thread(null, this::work, "sluice-worker-" + i, settings.workerStackBytes());
            worker.setDaemon(true);
            workers.add(worker);
        }
        workers.forEach(Thread::start);
    }

    @Override
    public InvocationResult invoke(FunctionSpec function, InvocationRequest request) {
        CompiledModule module = modules.apply(function.digest()).orElseThrow(() ->
                new SchedulerException.InvalidInput("function " + function.name() + ": module " + function.digest()
                        + " is not deployed"));
        Job job = new Job(function, request, module);
        submit(job);
        try {
            return job.outcome.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SchedulerException failure) {
                throw failure;
            }
            throw new IllegalStateException("worker failed", e.getCause());
        } catch (InterruptedException e) {
            cancel(job);
            Thread.currentThread().interrupt();
            throw new Overloaded("invocation abandoned: the caller was interrupted");
        }
    }

    private void submit(Job job) {
        String tenantId = job.function.tenant();
        lock.lock();
        try {
            if (!accepting) {
                throw new Overloaded("the scheduler is shutting down");
            }
            Tenant tenant = tenants.computeIfAbsent(tenantId, Tenant::new);
            if (tenant.queue.size() >= settings.queuePerTenant()) {
                throw new Overloaded("the tenant has " + tenant.queue.size()
                        + " invocations waiting (limit: " + settings.queuePerTenant() + ")");
            }
            job.tenant = tenant;
            tenant.queue.addLast(job);
            if (tenant.queue.size() == 1) {
                ring.addLast(tenant);
            }
            pending++;
            workAvailable.signal();
        } finally {
            lock.unlock();
        }
        // Waiting for a worker is bounded too: a job still queued after its timeout gives up with Overloaded, so
        // the caller (and any quota lease it holds) is never held longer than queue wait + run time.
        try {
            job.queueAlarm = watchdog.schedule(() -> expire(job), job.function.timeoutMs(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // shutdown() ran between the enqueue above and here and stopped the watchdog. It has dropped the job
            // (completing it) or stopped it on its worker; make sure it ends as the shutdown it is, unless it has
            // already ended.
            cancel(job);
            job.outcome.completeExceptionally(new Overloaded("the scheduler is shutting down"));
        }
    }

    /** The job waited its whole timeout without a worker: drop it. */
    private void expire(Job job) {
        lock.lock();
        try {
            Tenant tenant = job.tenant;
            if (!tenant.queue.remove(job)) {
                return; // already running or done
            }
            if (tenant.queue.isEmpty()) {
                ring.remove(tenant);
            }
            release(tenant, job, false);
        } finally {
            lock.unlock();
        }
        job.outcome.completeExceptionally(new Overloaded(
                "no worker was free within the function's timeout of " + job.function.timeoutMs() + " ms"));
        job.stop(Job.State.CANCELLED);
    }

    /** The caller gave up: drop the job if still queued, else stop it like a timeout. */
    private void cancel(Job job) {
        lock.lock();
        try {
            Tenant tenant = job.tenant;
            if (tenant.queue.remove(job)) {
                if (tenant.queue.isEmpty()) {
                    ring.remove(tenant);
                }
                release(tenant, job, false);
            }
        } finally {
            lock.unlock();
        }
        job.stop(Job.State.CANCELLED);
    }

    private void work() {
        while (true) {
            Job job = take();
            if (job == null) {
                return;
            }
            try {
                run(job);
            } catch (Throwable t) {
                // run() converts guest failures itself; this is a bug on our side, and must not cost the worker.
                LOG.log(System.Logger.Level.ERROR, "worker failed outside the sandbox", t);
                job.outcome.completeExceptionally(new InvocationFailed(InvocationFailed.Kind.TRAP,
                        "internal error", null));
            } finally {
                lock.lock();
                try {
                    release(job.tenant, job, true);
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** The next job, of the tenant {@link #next()} picks; waits while there is none. */
    private Job take() {
        lock.lock();
        try {
            while (!stopped) {
                Tenant tenant = next();
                if (tenant != null) {
                    Job job = tenant.queue.pollFirst();
                    tenant.running++;
                    running.add(job);
                    ring.remove(tenant);
                    if (!tenant.queue.isEmpty()) {
                        ring.addLast(tenant); // round-robin among tenants running as many as it
                    }
                    if (next() != null) {
                        // One signal wakes one worker; pass it on while there is more work a worker may take.
                        workAvailable.signal();
                    }
                    return job;
                }
                // Uninterruptible: a worker is only ever interrupted by its own job's timeout.
                workAvailable.awaitUninterruptibly();
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Called with lock held: of the tenants with queued work that may take a worker now, the one running fewest
     * invocations, the first in ring order among equals; null if none may.
     */
    private Tenant next() {
        int free = settings.workers() - running.size();
        if (free <= 0) {
            return null;
        }
        Tenant best = null;
        for (Tenant tenant : ring) {
            boolean allowed = tenant.running < settings.maxConcurrentPerTenant()
                    && (tenant.running == 0 || free > settings.reservedWorkers());
            if (allowed && (best == null || tenant.running < best.running)) {
                best = tenant;
            }
        }
        return best;
    }

    // Called with lock held.
    private void release(Tenant tenant, Job job, boolean wasRunning) {
        if (wasRunning) {
            tenant.running--;
            running.remove(job);
            // This tenant, or with the reserve no longer touched any tenant, may be eligible again; wake a worker
            // in case this one is not the next to look.
            workAvailable.signal();
        }
        if (tenant.queue.isEmpty() && tenant.running == 0) {
            tenants.remove(tenant.id);
        }
        if (--pending == 0) {
            drained.signalAll();
        }
    }

    private void run(Job job) {
        if (!job.start(Thread.currentThread())) {
            return; // cancelled while queued; whoever cancelled it completed it
        }
        ScheduledFuture<?> queueAlarm = job.queueAlarm;
        if (queueAlarm != null) {
            queueAlarm.cancel(false);
        }
        ScheduledFuture<?> alarm;
        try {
            alarm = watchdog.schedule(() -> job.stop(Job.State.TIMED_OUT), job.function.timeoutMs(),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // shutdown() stopped the watchdog after this worker took the job: never run a guest without its timeout.
            job.finish();
            Thread.interrupted();
            job.outcome.completeExceptionally(new Overloaded("the scheduler is shutting down"));
            return;
        }
        InvocationResult result = null;
        InvocationFailed failure = null;
        try {
            result = sandbox.run(job.module, job.function, job.request);
        } catch (InvocationFailed f) {
            failure = f;
        } catch (Throwable t) {
            // The sandbox classifies every guest failure itself; anything else is ours: log it, tell the tenant little.
            LOG.log(System.Logger.Level.ERROR, "invocation of " + job.function.tenant() + "/" + job.function.name()
                    + " failed inside the host", t);
            failure = new InvocationFailed(InvocationFailed.Kind.TRAP, "internal error", null);
        } finally {
            alarm.cancel(false);
        }
        Job.State end = job.finish();
        // After finish() nobody interrupts this thread for this job; clear a pending interrupt for the next one.
        Thread.interrupted();
        if (failure != null && end == Job.State.TIMED_OUT) {
            failure = new InvocationFailed(InvocationFailed.Kind.TIMEOUT,
                    "exceeded its timeout of " + job.function.timeoutMs() + " ms", failure.stderr(), failure.fuelUsed());
        } else if (failure != null && end == Job.State.CANCELLED) {
            failure = new InvocationFailed(InvocationFailed.Kind.TIMEOUT,
                    "stopped: the scheduler is shutting down or the caller gave up", failure.stderr(),
                    failure.fuelUsed());
        }
        if (failure != null) {
            job.outcome.completeExceptionally(failure);
        } else {
            job.outcome.complete(result);
        }
    }

    @Override
    public void shutdown(long graceMillis) {
        List<Job> abandoned = new ArrayList<>();
        List<Job> interrupted;
        lock.lock();
        try {
            accepting = false;
            long remaining = TimeUnit.MILLISECONDS.toNanos(Math.max(0, graceMillis));
            while (pending > 0 && remaining > 0) {
                remaining = drained.awaitNanos(remaining);
            }
            for (Tenant tenant : tenants.values()) {
                abandoned.addAll(tenant.queue);
                pending -= tenant.queue.size();
                tenant.queue.clear();
            }
            ring.clear();
            interrupted = List.copyOf(running);
            stopped = true;
            workAvailable.signalAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            interrupted = List.of();
        } finally {
            lock.unlock();
        }
        for (Job job : abandoned) {
            job.outcome.completeExceptionally(new Overloaded("the scheduler shut down before the invocation ran"));
            job.stop(Job.State.CANCELLED);
        }
        interrupted.forEach(job -> job.stop(Job.State.CANCELLED));
        watchdog.shutdownNow();
        for (Thread worker : workers) {
            try {
                // Interrupted guests stop promptly; do not hang a shutdown on one that somehow does not.
                worker.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** For tests and metrics: how many of the tenant's invocations are on a worker right now. */
    int running(String tenantId) {
        lock.lock();
        try {
            Tenant tenant = tenants.get(tenantId);
            return tenant == null ? 0 : tenant.running;
        } finally {
            lock.unlock();
        }
    }

    /** For tests and metrics: how many of the tenant's invocations wait for a worker. */
    int queued(String tenantId) {
        lock.lock();
        try {
            Tenant tenant = tenants.get(tenantId);
            return tenant == null ? 0 : tenant.queue.size();
        } finally {
            lock.unlock();
        }
    }

    private static final class Tenant {
        final String id;
        final ArrayDeque<Job> queue = new ArrayDeque<>();
        int running;

        Tenant(String id) {
            this.id = id;
        }
    }

    private static final class Job {
        enum State { QUEUED, RUNNING, DONE, TIMED_OUT, CANCELLED }

        final FunctionSpec function;
        final InvocationRequest request;
        final CompiledModule module;
        final CompletableFuture<InvocationResult> outcome = new CompletableFuture<>();
        Tenant tenant; // set once under the pool lock before the job is visible to workers
        volatile ScheduledFuture<?> queueAlarm; // expires the job if it is still queued at its timeout
        private State state = State.QUEUED; // guarded by this
        private Thread worker; // guarded by this

        Job(FunctionSpec function, InvocationRequest request, CompiledModule module) {
            this.function = function;
            this.request = request;
            this.module = module;
        }

        synchronized boolean start(Thread thread) {
            if (state != State.QUEUED) {
                return false;
            }
            state = State.RUNNING;
            worker = thread;
            return true;
        }

        /** Ends the job early: a queued job will not start; a running one's worker is interrupted. */
        synchronized void stop(State reason) {
            if (state == State.QUEUED) {
                state = reason;
                outcome.completeExceptionally(new Overloaded("invocation cancelled before it ran"));
            } else if (state == State.RUNNING) {
                state = reason;
                worker.interrupt();
            }
        }

        /** @return how the run ended; afterwards {@link #stop} no longer touches the worker */
        synchronized State finish() {
            State end = state;
            if (end == State.RUNNING) {
                state = State.DONE;
            }
            worker = null;
            return end;
        }
    }
}
