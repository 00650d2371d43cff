package dev.sluice.scheduler;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.Overloaded;
import dev.sluice.scheduler.internal.FairQueue;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;

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
 * <p>The queueing and fairness rules live in {@link FairQueue}, shared with the cluster balancer, which applies them
 * to remote workers' slots as this class does to its threads.
 *
 * <p>Threading: callers block in {@link #invoke} on a future. Queues and counters are guarded by {@code lock}; a
 * job's run state by the job's monitor, which is also what makes a timeout interrupt safe: the watchdog interrupts
 * a worker only while it still runs that job, and the worker clears its interrupt flag after leaving the job.
 *
 * <p>Timeouts are deadlines on the job, not alarms: one watchdog thread scans the queued and running jobs every
 * {@link #TICK_NANOS} (O(jobs in flight), which the queue limits bound). Scheduling and cancelling two
 * {@code ScheduledThreadPoolExecutor} tasks per call cost a task, a lambda and a locked heap insert and removal
 * each (~300 bytes per call); a tick costs nothing per call. A timeout therefore fires up to one
 * tick late, immaterial against millisecond limits. The watchdog sleeps for good after {@link #IDLE_TICKS} ticks
 * with nothing in flight, and {@link #submit} wakes it (the only per-call watchdog cost, and only after idling).
 */
final class WorkerPool implements Dispatcher {
    private static final System.Logger LOG = System.getLogger(WorkerPool.class.getName());
    /** The watchdog's scan period: how late a timeout may fire at most (plus scheduling noise). */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Ticks with nothing in flight after which the watchdog stops ticking until the next submit (1 s). */
    private static final int IDLE_TICKS = 500;
    private final SchedulerSettings settings;
    private final Function<FunctionSpec, Optional<CompiledModule>> modules;
    private final Sandbox sandbox;
    private final LongSupplier nanoClock;
    private final Thread watchdog;
    private final List<Thread> workers = new ArrayList<>();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workAvailable = lock.newCondition();
    private final Condition drained = lock.newCondition();
    private final Condition watchdogWake = lock.newCondition();
    // All guarded by lock.
    private final FairQueue<Job> queues;
    private final Set<Job> running = new HashSet<>();
    private int pending; // queued + running
    private boolean accepting = true;
    private boolean stopped;
    private boolean watchdogAsleep;

    WorkerPool(SchedulerSettings settings, Function<String, Optional<CompiledModule>> modules) {
        this(settings, modules, System::nanoTime);
    }

    /**
     * With the given clock for timeout deadlines (System.nanoTime() semantics). It is read once per call by the
     * submitter after the enqueue (queue deadline) and once by the worker after it started the job (run deadline),
     * exactly where the per-call alarms used to be scheduled; tests use one that lets a shutdown in there.
     */
    WorkerPool(SchedulerSettings settings, Function<String, Optional<CompiledModule>> modules, LongSupplier nanoClock) {
        this(nanoClock, settings, function -> modules.apply(function.digest()));
    }

    /** A pool that looks modules up by function (shared functions fetch them by digest on first use). */
    static WorkerPool byFunction(SchedulerSettings settings, Function<FunctionSpec, Optional<CompiledModule>> modules) {
        return new WorkerPool(System::nanoTime, settings, modules);
    }

    private WorkerPool(LongSupplier nanoClock, SchedulerSettings settings,
                       Function<FunctionSpec, Optional<CompiledModule>> modules) {
        this.settings = settings;
        this.modules = modules;
        this.sandbox = new Sandbox(settings);
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.queues = new FairQueue<>(settings.maxConcurrentPerTenant(), settings.queuePerTenant(),
                settings.reservedWorkers());
        this.watchdog = new Thread(this::watch, "sluice-watchdog");
        watchdog.setDaemon(true);
        for (int i = 0; i < settings.workers(); i++) {
            // Explicit stack size: guest recursion depth is bounded by it, so it must not depend on JVM defaults.
            Thread worker = new Thread(null, this::work, "sluice-worker-" + i, settings.workerStackBytes());
            worker.setDaemon(true);
            workers.add(worker);
        }
        workers.forEach(Thread::start);
        watchdog.start();
    }

    @Override
    public InvocationResult invoke(FunctionSpec function, InvocationRequest request, InvocationObserver observer) {
        CompiledModule module = modules.apply(function).orElseThrow(() ->
                new SchedulerException.InvalidInput("function " + function.name() + ": module " + function.digest()
                        + " is not deployed"));
        Job job = new Job(function, request, module, observer);
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
            queues.offer(tenantId, job); // Overloaded when the tenant's queue is full
            pending++;
            workAvailable.signal();
            if (watchdogAsleep) {
                watchdogAsleep = false;
                watchdogWake.signal();
            }
        } finally {
            lock.unlock();
        }
        // Waiting for a worker is bounded too: a job still queued after its timeout gives up with Overloaded, so
        // the caller (and any quota lease it holds) is never held longer than queue wait + run time. Until this
        // write the watchdog skips the job; if shutdown() ran meanwhile it has already dropped or stopped the job.
        job.queueDeadline = nanoClock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(job.function.timeoutMs());
    }

    /**
     * The watchdog: every tick, drops queued jobs past their queue deadline (Overloaded) and stops running ones
     * past their run deadline (TIMED_OUT). Ends at shutdown, which stops every running job itself.
     */
    private void watch() {
        int idle = 0;
        while (true) {
            List<Job> expired;
            List<Job> overdue = null;
            lock.lock();
            try {
                if (stopped) {
                    return;
                }
                idle = pending == 0 ? idle + 1 : 0;
                if (idle >= IDLE_TICKS) {
                    watchdogAsleep = true;
                    while (watchdogAsleep && !stopped) {
                        watchdogWake.awaitUninterruptibly();
                    }
                    idle = 0;
                    continue;
                }
                long now = nanoClock.getAsLong();
                expired = queues.queued() == 0 ? List.of() : queues.removeIf(job -> job.queueExpired(now));
                for (Job job : expired) {
                    release(job, false);
                }
                for (Job job : running) {
                    if (job.runExpired(now)) {
                        if (overdue == null) {
                            overdue = new ArrayList<>();
                        }
                        overdue.add(job);
                    }
                }
            } finally {
                lock.unlock();
            }
            // Outside the pool lock: completing and stopping take the job's monitor.
            for (Job job : expired) {
                job.outcome.completeExceptionally(new Overloaded("no worker was free within the function's timeout of "
                        + job.function.timeoutMs() + " ms"));
                job.stop(Job.State.CANCELLED);
            }
            if (overdue != null) {
                overdue.forEach(job -> job.stop(Job.State.TIMED_OUT));
            }
            LockSupport.parkNanos(this, TICK_NANOS);
        }
    }

    /** The caller gave up: drop the job if still queued, else stop it like a timeout. */
    private void cancel(Job job) {
        lock.lock();
        try {
            if (queues.remove(job.function.tenant(), job)) {
                release(job, false);
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
                    release(job, true);
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** The next job, of the tenant the fair queue picks; waits while there is none. */
    private Job take() {
        lock.lock();
        try {
            while (!stopped) {
                int free = settings.workers() - running.size();
                Job job = queues.poll(free, any -> true);
                if (job != null) {
                    running.add(job);
                    if (queues.hasNext(free - 1, any -> true)) {
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

    // Called with lock held.
    private void release(Job job, boolean wasRunning) {
        if (wasRunning) {
            queues.finished(job.function.tenant());
            running.remove(job);
            // This tenant, or with the reserve no longer touched any tenant, may be eligible again; wake a worker
            // in case this one is not the next to look.
            workAvailable.signal();
        }
        if (--pending == 0) {
            drained.signalAll();
        }
    }

    private void run(Job job) {
        if (!job.start(Thread.currentThread())) {
            return; // cancelled while queued; whoever cancelled it completed it
        }
        job.runDeadline = nanoClock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(job.function.timeoutMs());
        if (job.cancelled()) {
            // Cancelled between start and the deadline (a shutdown: the watchdog may be gone, so never run a guest
            // whose stop may have been missed; or the caller gave up): do not start the guest at all. (TIMED_OUT
            // here, a worker descheduled past the deadline, runs on interrupted and ends as a timeout.)
            job.finish();
            Thread.interrupted();
            job.outcome.completeExceptionally(new Overloaded("the scheduler is shutting down"));
            return;
        }
        InvocationResult result = null;
        SchedulerException failure = null;
        long started = System.nanoTime();
        job.observer.started(started - job.queuedAt);
        try {
            result = sandbox.run(job.module, job.function, job.request);
        } catch (InvocationFailed | SchedulerException.AssetsExceedScratch f) {
            failure = f; // the second: refused before the guest started (the plan's scratch shrank)
        } catch (Throwable t) {
            // The sandbox classifies every guest failure itself; anything else is ours: log it, tell the tenant little.
            LOG.log(System.Logger.Level.ERROR, "invocation of " + job.function.tenant() + "/" + job.function.name()
                    + " failed inside the host", t);
            failure = new InvocationFailed(InvocationFailed.Kind.TRAP, "internal error", null);
        } finally {
            job.observer.ran(System.nanoTime() - started);
        }
        Job.State end = job.finish();
        // After finish() nobody interrupts this thread for this job; clear a pending interrupt for the next one.
        Thread.interrupted();
        if (failure instanceof InvocationFailed failed && end == Job.State.TIMED_OUT) {
            failure = new InvocationFailed(InvocationFailed.Kind.TIMEOUT,
                    "exceeded its timeout of " + job.function.timeoutMs() + " ms", failed.stderr(), failed.fuelUsed());
        } else if (failure instanceof InvocationFailed failed && end == Job.State.CANCELLED) {
            failure = new InvocationFailed(InvocationFailed.Kind.TIMEOUT,
                    "stopped: the scheduler is shutting down or the caller gave up", failed.stderr(),
                    failed.fuelUsed());
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
            abandoned.addAll(queues.removeIf(job -> true));
            pending -= abandoned.size();
            interrupted = List.copyOf(running);
            stopped = true;
            workAvailable.signalAll();
            watchdogWake.signalAll();
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
        LockSupport.unpark(watchdog); // it sees stopped at its next look (or was woken by the signalAll above)
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
            return queues.running(tenantId);
        } finally {
            lock.unlock();
        }
    }

    /** For tests: whether the watchdog has stopped ticking for lack of work (the next submit wakes it). */
    boolean watchdogAsleep() {
        lock.lock();
        try {
            return watchdogAsleep;
        } finally {
            lock.unlock();
        }
    }

    /** For tests and metrics: how many of the tenant's invocations wait for a worker. */
    int queued(String tenantId) {
        lock.lock();
        try {
            return queues.queued(tenantId);
        } finally {
            lock.unlock();
        }
    }

    /** For metrics: the pool's threads, those running a job now, and the jobs of every tenant waiting. */
    WorkerLoad load() {
        lock.lock();
        try {
            return new WorkerLoad(running.size(), settings.workers(), queues.queued());
        } finally {
            lock.unlock();
        }
    }

    private static final class Job {
        enum State { QUEUED, RUNNING, DONE, TIMED_OUT, CANCELLED }

        final FunctionSpec function;
        final InvocationRequest request;
        final CompiledModule module;
        final InvocationObserver observer;
        /** System.nanoTime() when the job was made: its queue wait is measured from here (observation only). */
        final long queuedAt = System.nanoTime();
        final CompletableFuture<InvocationResult> outcome = new CompletableFuture<>();
        /** Not armed yet: the watchdog skips the deadline (it is armed right after enqueue / start). */
        static final long UNARMED = Long.MIN_VALUE;
        volatile long queueDeadline = UNARMED; // nanoClock: dropped if still queued then
        volatile long runDeadline = UNARMED; // nanoClock: stopped as TIMED_OUT if still running then
        private State state = State.QUEUED; // guarded by this
        private Thread worker; // guarded by this

        Job(FunctionSpec function, InvocationRequest request, CompiledModule module, InvocationObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
            this.function = function;
            this.request = request;
            this.module = module;
        }

        boolean queueExpired(long now) {
            long deadline = queueDeadline;
            return deadline != UNARMED && now - deadline >= 0;
        }

        boolean runExpired(long now) {
            long deadline = runDeadline;
            return deadline != UNARMED && now - deadline >= 0;
        }

        synchronized boolean cancelled() {
            return state == State.CANCELLED;
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
