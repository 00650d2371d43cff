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
 * <p>The queueing and fairness rules live in {@link FairQueue}, shared with the cluster balancer, which applies them
 * to remote workers' slots as this class does to its threads.
 *
 * <p>Threading: callers block in {@link #invoke} on a future. Queues and counters are guarded by {@code lock}; a
 * job's run state by the job's monitor, which is also what makes a timeout interrupt safe: the watchdog interrupts
 * a worker only while it still runs that job, and the worker clears its interrupt flag after leaving the job.
 */
final class WorkerPool implements Dispatcher {
    private static final System.Logger LOG = System.getLogger(WorkerPool.class.getName());
    private final SchedulerSettings settings;
    private final Function<FunctionSpec, Optional<CompiledModule>> modules;
    private final Sandbox sandbox;
    private final ScheduledThreadPoolExecutor watchdog;
    private final List<Thread> workers = new ArrayList<>();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workAvailable = lock.newCondition();
    private final Condition drained = lock.newCondition();
    // All guarded by lock.
    private final FairQueue<Job> queues;
    private final Set<Job> running = new HashSet<>();
    private int pending; // queued + running
    private boolean accepting = true;
    private boolean stopped;

    WorkerPool(SchedulerSettings settings, Function<String, Optional<CompiledModule>> modules) {
        this(settings, modules, watchdog());
    }

    /** With the given watchdog, which the pool owns from now on (tests use one that lets a shutdown in). */
    WorkerPool(SchedulerSettings settings, Function<String, Optional<CompiledModule>> modules,
               ScheduledThreadPoolExecutor watchdog) {
        this(watchdog, settings, function -> modules.apply(function.digest()));
    }

    /** A pool that looks modules up by function (shared functions fetch them by digest on first use). */
    static WorkerPool byFunction(SchedulerSettings settings, Function<FunctionSpec, Optional<CompiledModule>> modules) {
        return new WorkerPool(watchdog(), settings, modules);
    }

    private static ScheduledThreadPoolExecutor watchdog() {
        return new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sluice-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    private WorkerPool(ScheduledThreadPoolExecutor watchdog, SchedulerSettings settings,
                       Function<FunctionSpec, Optional<CompiledModule>> modules) {
        this.settings = settings;
        this.modules = modules;
        this.sandbox = new Sandbox(settings);
        this.watchdog = watchdog;
        this.queues = new FairQueue<>(settings.maxConcurrentPerTenant(), settings.queuePerTenant(),
                settings.reservedWorkers());
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
            if (!queues.remove(job.function.tenant(), job)) {
                return; // already running or done
            }
            release(job, false);
        } finally {
            lock.unlock();
        }
        job.outcome.completeExceptionally(new Overloaded("no worker was free within the function's timeout of "
                + job.function.timeoutMs() + " ms"));
        job.stop(Job.State.CANCELLED);
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
        long started = System.nanoTime();
        job.observer.started(started - job.queuedAt);
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
            job.observer.ran(System.nanoTime() - started);
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
            abandoned.addAll(queues.removeIf(job -> true));
            pending -= abandoned.size();
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
            return queues.running(tenantId);
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
        volatile ScheduledFuture<?> queueAlarm; // expires the job if it is still queued at its timeout
        private State state = State.QUEUED; // guarded by this
        private Thread worker; // guarded by this

        Job(FunctionSpec function, InvocationRequest request, CompiledModule module, InvocationObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
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
