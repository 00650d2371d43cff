package dev.sluice.scheduler.cluster;

import dev.sluice.scheduler.SchedulerException.Overloaded;
import dev.sluice.scheduler.internal.FairQueue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The gateway's {@link Balancer} over the workers a {@link WorkerDirectory} lists.
 *
 * <p>Placement, for a call of module {@code digest}: among the usable workers with room (outstanding calls below
 * their {@link WorkerAddress#maxConcurrency()}) that the call has not excluded, power of two choices picks the less
 * loaded (outstanding / max-concurrency) of two at random. The digest's home, the worker that rendezvous hashing of
 * the digest over the usable workers ranks first (so it has the compiled code warm, and stays the home while other
 * workers come and go), is taken instead unless it is full or more loaded than that choice by more than
 * {@link BalancerSettings#affinitySlack()}: affinity yields under load.
 *
 * <p>Queueing: every call goes through a {@link FairQueue} (the same rules as the in-process {@code WorkerPool}): a
 * tenant's calls wait in its own bounded queue, and a freed slot goes to the waiting tenant running fewest. A call
 * waits at most until its deadline, then gets {@link Overloaded}; so does a call no worker could ever take (none
 * known, or all excluded).
 *
 * <p>Busy workers: workers are shared by every gateway, and this one sees only its own calls, so a worker it
 * counts as having room may be full of other gateways' calls and refuse ({@link Pick#refused()}). That is load, not
 * failure: the worker's room as seen here drops to the calls this gateway runs there when refused (a slot one of
 * them frees is reused) for {@link BalancerSettings#busyBackoff()}, doubling on refusals in a row up to
 * {@link BalancerSettings#busyBackoffMax()}; after it one more call is tried, and each one admitted beyond what was
 * learned raises the room by one, back to the worker's limit. The caller does not exclude a busy worker: it asks
 * again, and the call waits in its tenant's queue like any other until a worker has room, so under contention every
 * gateway queues fairly per tenant, and the room it learns tends to what the other gateways leave it. A tenant on
 * another gateway is only sure of a slot if the flooding gateway leaves one: {@link BalancerSettings#reservedSlots()}
 * keeps the last free slots (as this gateway sees them) for tenants running nothing, on any gateway.
 *
 * <p>Outlier detection: {@link BalancerSettings#consecutiveFailures()} failures in a row ({@link Pick#lost()} or
 * {@link Pick#notStarted()}; {@link Pick#refused()} is load, not failure), or a failure rate over a window, eject a
 * worker: it gets no calls until a {@link WorkerHealthCheck} probe, every {@link BalancerSettings#probeInterval()},
 * passes. A worker is never ejected when that would leave none usable, and if every worker is ejected anyway (the
 * others left the directory) they are all used, since some chance beats a certain refusal.
 *
 * <p>The directory's snapshot is read on every call and every tick, so workers that join or leave are noticed
 * between calls; a departed worker's outstanding calls still settle against it.
 *
 * <p>Threading: all state is guarded by one lock, held only for bookkeeping, never across I/O (health checks run
 * outside it). Callers block in {@link #acquire} on their own condition; a background thread (unless the builder
 * was told {@link Builder#manualTicks()}) calls {@link #tick()} to expire waits, notice directory changes while all
 * workers are full, and probe ejected workers. Time is the injected nano clock.
 */
public final class ClusterBalancer implements Balancer {
    private static final System.Logger LOG = System.getLogger(ClusterBalancer.class.getName());

    private final WorkerDirectory directory;
    private final WorkerHealthCheck healthCheck;
    private final BalancerSettings settings;
    private final LongSupplier nanoClock;
    private final ScheduledExecutorService ticker; // null with manual ticks

    private final ReentrantLock lock = new ReentrantLock();
    // All guarded by lock.
    private final RandomGenerator random;
    private final FairQueue<Waiter> queue;
    private final Map<String, Worker> workers = new LinkedHashMap<>(); // present ones, and departed ones still busy
    private List<WorkerAddress> known;
    private boolean closed;

    private ClusterBalancer(Builder builder) {
        this.directory = builder.directory;
        this.healthCheck = builder.healthCheck;
        this.settings = builder.settings;
        this.nanoClock = builder.nanoClock;
        this.random = builder.random;
        this.queue = new FairQueue<>(settings.maxRunningPerTenant(), settings.queuePerTenant(),
                settings.reservedSlots());
        lock.lock();
        try {
            refresh();
        } finally {
            lock.unlock();
        }
        if (builder.tickEvery == null) {
            this.ticker = null;
        } else {
            this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "sluice-balancer");
                t.setDaemon(true);
                return t;
            });
            long millis = builder.tickEvery.toMillis();
            ticker.scheduleWithFixedDelay(this::tickQuietly, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    /** A balancer over {@code directory}'s workers; it does not close the directory. */
    public static Builder builder(WorkerDirectory directory) {
        return new Builder(directory);
    }

    @Override
    public Pick acquire(String tenant, String digest, Set<String> excluded, long deadlineNanos) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(digest, "digest");
        Waiter waiter = new Waiter(tenant, digest, Set.copyOf(excluded), deadlineNanos, lock.newCondition(),
                nanoClock.getAsLong());
        lock.lock();
        try {
            if (closed) {
                throw new Overloaded("the gateway is shutting down");
            }
            refresh();
            if (usable(waiter).isEmpty()) {
                throw new Overloaded(workers.isEmpty() ? "no worker is available"
                        : "no worker is available for this call (" + waiter.excluded.size() + " refused it)");
            }
            queue.offer(tenant, waiter); // Overloaded when the tenant's queue is full
            dispatch();
            while (waiter.worker == null) {
                if (waiter.failure != null) {
                    throw waiter.failure;
                }
                long remaining = deadlineNanos - nanoClock.getAsLong();
                if (remaining <= 0) {
                    queue.remove(tenant, waiter);
                    throw timedOut(waiter);
                }
                try {
                    waiter.signal.awaitNanos(remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    if (waiter.worker != null) {
                        break; // placed just now: hand it over, the caller sees its interrupt next
                    }
                    queue.remove(tenant, waiter);
                    throw new Overloaded("invocation abandoned: the caller was interrupted");
                }
            }
            return new WorkerPick(waiter.worker, waiter.address, tenant);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Expires waits past their deadline, takes in directory changes, and health-checks the ejected workers that are
     * due. The background thread calls it; tests with a fake clock call it themselves.
     */
    public void tick() {
        List<Probe> due = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            refresh();
            long now = nanoClock.getAsLong();
            for (Waiter waiter : queue.removeIf(w -> w.deadline - now <= 0)) {
                waiter.failure = timedOut(waiter);
                waiter.signal.signal();
            }
            dispatch(); // busy workers whose back-off ended may take a waiting call again
            for (Worker worker : workers.values()) {
                if (worker.present && worker.ejected && worker.nextProbe - now <= 0) {
                    worker.nextProbe = now + settings.probeInterval().toNanos();
                    due.add(new Probe(worker, worker.address)); // read under the lock
                }
            }
        } finally {
            lock.unlock();
        }
        for (Probe probe : due) {
            Worker worker = probe.worker();
            boolean healthy;
            try {
                healthy = healthCheck.answers(probe.address());
            } catch (RuntimeException e) {
                healthy = false;
            }
            if (healthy) {
                lock.lock();
                try {
                    if (worker.ejected) {
                        LOG.log(System.Logger.Level.INFO, "worker {0} ({1}) answers its health check again: rejoined",
                                worker.id, worker.address.authority());
                        worker.ejected = false;
                        worker.resetFailures(nanoClock.getAsLong());
                        dispatch();
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (RuntimeException e) {
            // A directory or health check that throws must not end the ticks for good.
            LOG.log(System.Logger.Level.WARNING, "balancer tick failed", e);
        }
    }

    /** Fails every waiting call with Overloaded and refuses new ones; picks already made may still report. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            for (Waiter waiter : queue.removeIf(w -> true)) {
                waiter.failure = new Overloaded("the gateway is shutting down");
                waiter.signal.signal();
            }
        } finally {
            lock.unlock();
        }
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }

    /** For tests and metrics: calls placed on the worker and not yet reported. */
    int outstanding(String workerId) {
        lock.lock();
        try {
            Worker worker = workers.get(workerId);
            return worker == null ? 0 : worker.outstanding;
        } finally {
            lock.unlock();
        }
    }

    /** For tests and metrics: whether the worker is ejected now. */
    boolean ejected(String workerId) {
        lock.lock();
        try {
            Worker worker = workers.get(workerId);
            return worker != null && worker.ejected;
        } finally {
            lock.unlock();
        }
    }

    /** For tests and metrics: the tenant's calls waiting for a worker. */
    int queued(String tenant) {
        lock.lock();
        try {
            return queue.queued(tenant);
        } finally {
            lock.unlock();
        }
    }

    // ---- everything below runs with lock held

    /** Takes in the directory's snapshot if it changed. */
    private void refresh() {
        List<WorkerAddress> now = directory.workers();
        if (now == known || now.equals(known)) {
            known = now;
            return;
        }
        known = now;
        Set<String> ids = new HashSet<>();
        long clock = nanoClock.getAsLong();
        for (WorkerAddress address : now) {
            if (!ids.add(address.id())) {
                continue; // a directory listing an id twice: the first wins
            }
            Worker worker = workers.get(address.id());
            if (worker == null) {
                workers.put(address.id(), new Worker(address, clock));
            } else {
                worker.address = address; // a restarted worker may come back on another port
                worker.present = true;
            }
        }
        workers.values().removeIf(worker -> {
            if (!ids.contains(worker.id)) {
                worker.present = false;
            }
            return !worker.present && worker.outstanding == 0;
        });
        dispatch();
    }

    /** Hands free slots to waiting calls, fairest tenant first, while any slot fits a waiting call. */
    private void dispatch() {
        while (true) {
            int free = 0;
            long now = nanoClock.getAsLong();
            for (Worker worker : usableWorkers()) {
                free += Math.max(0, worker.limit(now) - worker.outstanding);
            }
            // The rule asks about the head of each tenant it considers; the choice made for the one it returns
            // still holds, since nothing changes under the lock in between.
            Waiter waiter = queue.poll(free, w -> (w.choice = choose(w, now)) != null);
            if (waiter == null) {
                return;
            }
            Worker worker = waiter.choice;
            worker.outstanding++;
            waiter.worker = worker;
            waiter.address = worker.address;
            waiter.signal.signal();
        }
    }

    /** The worker for this call now (power of two choices, or the digest's home), or null if none has room. */
    private Worker choose(Waiter waiter, long now) {
        List<Worker> usable = usable(waiter);
        List<Worker> open = new ArrayList<>(usable.size());
        for (Worker worker : usable) {
            if (worker.outstanding < worker.limit(now)) {
                open.add(worker);
            }
        }
        if (open.isEmpty()) {
            return null;
        }
        Worker choice;
        if (open.size() == 1) {
            choice = open.getFirst();
        } else {
            int i = random.nextInt(open.size());
            int j = random.nextInt(open.size() - 1);
            if (j >= i) {
                j++;
            }
            Worker a = open.get(i);
            Worker b = open.get(j);
            choice = load(b) < load(a) ? b : a;
        }
        Worker home = null;
        long best = 0;
        for (Worker worker : usable) {
            long score = rendezvous(waiter.digestHash, worker.idHash);
            if (home == null || Long.compareUnsigned(score, best) > 0) {
                home = worker;
                best = score;
            }
        }
        boolean homeHasRoom = home.outstanding < home.limit(now);
        return homeHasRoom && load(home) - load(choice) <= settings.affinitySlack() ? home : choice;
    }

    /** Present workers the call may go to: not excluded, not ejected (unless every present worker is). */
    private List<Worker> usable(Waiter waiter) {
        List<Worker> usable = new ArrayList<>();
        for (Worker worker : usableWorkers()) {
            if (!waiter.excluded.contains(worker.id)) {
                usable.add(worker);
            }
        }
        return usable;
    }

    private List<Worker> usableWorkers() {
        List<Worker> healthy = new ArrayList<>();
        List<Worker> present = new ArrayList<>();
        for (Worker worker : workers.values()) {
            if (worker.present) {
                present.add(worker);
                if (!worker.ejected) {
                    healthy.add(worker);
                }
            }
        }
        return healthy.isEmpty() ? present : healthy;
    }

    private void settle(WorkerPick pick, Outcome outcome) {
        lock.lock();
        try {
            Worker worker = pick.worker;
            int running = worker.outstanding; // this gateway's calls there, this one included
            worker.outstanding--;
            queue.finished(pick.tenant);
            long now = nanoClock.getAsLong();
            switch (outcome) {
                case SUCCEEDED -> {
                    worker.record(false, now, settings);
                    worker.admitted(running);
                }
                case FAILED -> {
                    worker.record(true, now, settings);
                    String reason = worker.ejectionReason(settings);
                    if (reason != null) {
                        eject(worker, reason, now);
                    }
                }
                case REFUSED -> worker.busy(now, settings); // busy, not failing: load, no ejection
            }
            if (!worker.present && worker.outstanding == 0 && workers.get(worker.id) == worker) {
                workers.remove(worker.id);
            }
            dispatch();
        } finally {
            lock.unlock();
        }
    }

    private void eject(Worker worker, String reason, long now) {
        if (worker.ejected || !worker.present) {
            return;
        }
        boolean another = workers.values().stream().anyMatch(w -> w != worker && w.present && !w.ejected);
        if (!another) {
            // The last usable worker failing is most likely the whole cluster under load: ejecting it would turn
            // slow answers into certain refusals.
            worker.resetFailures(now);
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "worker {0} ({1}) ejected: {2}; probing it every {3} ms",
                worker.id, worker.address.authority(), reason, String.valueOf(settings.probeInterval().toMillis()));
        worker.ejected = true;
        worker.nextProbe = now + settings.probeInterval().toNanos();
        worker.resetFailures(now);
    }

    private Overloaded timedOut(Waiter waiter) {
        long waitedMs = Math.max(0, (waiter.deadline - waiter.enqueued) / 1_000_000);
        return new Overloaded("no worker had room within " + waitedMs + " ms");
    }

    private static double load(Worker worker) {
        return (double) worker.outstanding / worker.address.maxConcurrency();
    }

    /** Rendezvous (highest random weight) score of a digest on a worker: a well-mixed hash of both. */
    private static long rendezvous(long digestHash, long idHash) {
        long z = digestHash ^ Long.rotateLeft(idHash, 17) ^ 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }

    /** 64-bit FNV-1a of the string's UTF-8 bytes. */
    private static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private enum Outcome { SUCCEEDED, FAILED, REFUSED }

    private record Probe(Worker worker, WorkerAddress address) {}

    private static final class Worker {
        final String id;
        final long idHash;
        WorkerAddress address;
        boolean present = true;
        int outstanding;
        boolean ejected;
        long nextProbe;
        int consecutiveFailures;
        long windowStart;
        int windowCalls;
        int windowFailures;
        // What this gateway learned from the worker's refusals (other gateways fill it too): the calls it may have
        // there, until busyUntil; after that one more as a probe, growing with each one admitted.
        int learned = Integer.MAX_VALUE;
        long busyUntil;
        int refusalsInARow;

        Worker(WorkerAddress address, long now) {
            this.id = address.id();
            this.idHash = hash(address.id());
            this.address = address;
            this.windowStart = now;
        }

        void record(boolean failed, long now, BalancerSettings settings) {
            if (now - windowStart >= settings.failureWindow().toNanos()) {
                windowStart = now;
                windowCalls = 0;
                windowFailures = 0;
            }
            windowCalls++;
            if (failed) {
                windowFailures++;
                consecutiveFailures++;
            } else {
                consecutiveFailures = 0;
            }
        }

        /**
         * Calls this gateway may have outstanding here now: the worker's limit, or less while it refuses for want of
         * room. During the back-off only what this gateway already ran there when refused (so a slot one of its own
         * calls frees is reused), after it one more at a time.
         */
        int limit(long now) {
            int max = address.maxConcurrency();
            if (learned >= max) {
                return max;
            }
            return now - busyUntil < 0 ? learned : learned + 1;
        }

        /** The worker refused a call for want of room: this gateway's share there is what it runs there now. */
        void busy(long now, BalancerSettings settings) {
            learned = Math.min(outstanding, address.maxConcurrency() - 1);
            refusalsInARow = Math.min(refusalsInARow + 1, 30);
            long max = settings.busyBackoffMax().toNanos();
            long backoff = settings.busyBackoff().toNanos() << Math.min(refusalsInARow - 1, 20);
            busyUntil = now + (backoff <= 0 || backoff > max ? max : backoff); // <= 0: the shift overflowed
        }

        /**
         * The worker admitted a call that ran while this gateway had {@code running} calls there: it has room for
         * that many (additive increase, one call at a time, back to its full limit).
         */
        void admitted(int running) {
            if (running > learned) {
                learned = running >= address.maxConcurrency() ? Integer.MAX_VALUE : running;
                refusalsInARow = 0;
            }
        }

        /** Why the failures recorded so far eject this worker, or null if they do not. */
        String ejectionReason(BalancerSettings settings) {
            if (consecutiveFailures >= settings.consecutiveFailures()) {
                return consecutiveFailures + " failed calls in a row";
            }
            if (windowCalls >= settings.failureMinCalls()
                    && windowFailures >= settings.failureRate() * windowCalls) {
                return windowFailures + " of " + windowCalls + " calls failed within "
                        + settings.failureWindow().toMillis() + " ms";
            }
            return null;
        }

        void resetFailures(long now) {
            consecutiveFailures = 0;
            windowStart = now;
            windowCalls = 0;
            windowFailures = 0;
        }
    }

    private static final class Waiter {
        final String tenant;
        final long digestHash;
        final Set<String> excluded;
        final long deadline;
        final Condition signal;
        final long enqueued;
        Worker choice; // dispatch's scratch: where it would go now
        Worker worker; // set under the lock when placed
        WorkerAddress address;
        Overloaded failure; // set under the lock when expired or closed

        Waiter(String tenant, String digest, Set<String> excluded, long deadline, Condition signal, long enqueued) {
            this.tenant = tenant;
            this.digestHash = hash(digest);
            this.excluded = excluded;
            this.deadline = deadline;
            this.signal = signal;
            this.enqueued = enqueued;
        }
    }

    private final class WorkerPick implements Pick {
        final Worker worker;
        final WorkerAddress address;
        final String tenant;
        private final AtomicBoolean reported = new AtomicBoolean();

        WorkerPick(Worker worker, WorkerAddress address, String tenant) {
            this.worker = worker;
            this.address = address;
            this.tenant = tenant;
        }

        @Override
        public WorkerAddress worker() {
            return address;
        }

        @Override
        public void succeeded() {
            report(Outcome.SUCCEEDED);
        }

        @Override
        public void notStarted() {
            report(Outcome.FAILED);
        }

        @Override
        public void lost() {
            report(Outcome.FAILED);
        }

        @Override
        public void refused() {
            report(Outcome.REFUSED);
        }

        private void report(Outcome outcome) {
            // Exactly one outcome counts; a second report (say from a finally block) is ignored.
            if (reported.compareAndSet(false, true)) {
                settle(this, outcome);
            }
        }

        @Override
        public String toString() {
            return "Pick[" + address.id() + " for " + tenant + "]";
        }
    }

    /** Builds a {@link ClusterBalancer}; everything but the directory has a default. */
    public static final class Builder {
        private final WorkerDirectory directory;
        private WorkerHealthCheck healthCheck = WorkerHealthCheck.ASSUME_HEALTHY;
        private BalancerSettings settings = BalancerSettings.defaults();
        private LongSupplier nanoClock = System::nanoTime;
        private RandomGenerator random = new SplittableRandom();
        private Duration tickEvery = Duration.ofMillis(100);

        private Builder(WorkerDirectory directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        public Builder healthCheck(WorkerHealthCheck healthCheck) {
            this.healthCheck = Objects.requireNonNull(healthCheck, "healthCheck");
            return this;
        }

        public Builder settings(BalancerSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** The clock of {@link Balancer#acquire}'s deadlines and of the failure window; {@code System::nanoTime}. */
        public Builder nanoClock(LongSupplier nanoClock) {
            this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
            return this;
        }

        /** Only used under the balancer's lock, so it need not be thread-safe; tests pass a seeded one. */
        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /** How often the background thread ticks (default 100 ms). */
        public Builder tickEvery(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("tick interval: " + interval + " (expected: > 0)");
            }
            this.tickEvery = interval;
            return this;
        }

        /** No background thread: the owner calls {@link ClusterBalancer#tick()} (tests with a fake clock). */
        public Builder manualTicks() {
            this.tickEvery = null;
            return this;
        }

        public ClusterBalancer build() {
            return new ClusterBalancer(this);
        }
    }
}
