package dev.sluice.scheduler.internal;

import dev.sluice.scheduler.SchedulerException.Overloaded;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Per-tenant queues in front of a shared, limited resource (the in-process worker threads of {@code WorkerPool},
 * the remote workers' slots of the cluster balancer), and the rule that picks whose work takes a freed slot:
 * <ul>
 *   <li>Each tenant waits in its own queue, bounded by {@code queuePerTenant}; beyond it {@link #offer} refuses at
 *       once, so a flooding tenant fills only its own queue, never the others'.</li>
 *   <li>A tenant runs at most {@code maxRunningPerTenant} at once.</li>
 *   <li>The last {@code reserved} free slots only go to tenants that run nothing yet.</li>
 *   <li>A free slot goes, among the tenants whose queued work may take it, to the one running fewest; ties go
 *       round-robin. So a tenant with one call waiting is served before a tenant with a thousand queued, as soon as
 *       it runs fewer.</li>
 * </ul>
 * Each item that {@link #poll} hands out counts as running for its tenant until the owner calls {@link #finished}.
 *
 * <p>Not thread-safe: the owner guards every call with its own lock (the lock that also guards its slots), so the
 * queue state and the slot count it is asked about never disagree.
 *
 * @param <E> the queued work item; compared by identity for {@link #remove}
 */
public final class FairQueue<E> {
    private final int maxRunningPerTenant;
    private final int queuePerTenant;
    private final int reserved;
    private final Map<String, Tenant<E>> tenants = new HashMap<>();
    private final ArrayDeque<Tenant<E>> ring = new ArrayDeque<>(); // exactly the tenants with queued items
    private int queued;

    /**
     * @param maxRunningPerTenant items one tenant may have running at once ({@code > 0})
     * @param queuePerTenant      items one tenant may have waiting ({@code > 0})
     * @param reserved            the last free slots, kept for tenants running nothing ({@code >= 0})
     */
    public FairQueue(int maxRunningPerTenant, int queuePerTenant, int reserved) {
        if (maxRunningPerTenant < 1) {
            throw new IllegalArgumentException("max-running-per-tenant: " + maxRunningPerTenant + " (expected: > 0)");
        }
        if (queuePerTenant < 1) {
            throw new IllegalArgumentException("queue-per-tenant: " + queuePerTenant + " (expected: > 0)");
        }
        if (reserved < 0) {
            throw new IllegalArgumentException("reserved: " + reserved + " (expected: >= 0)");
        }
        this.maxRunningPerTenant = maxRunningPerTenant;
        this.queuePerTenant = queuePerTenant;
        this.reserved = reserved;
    }

    /**
     * Queues the item at the end of its tenant's queue.
     *
     * @throws Overloaded when the tenant already has {@code queuePerTenant} items waiting
     */
    public void offer(String tenantId, E item) {
        Tenant<E> tenant = tenants.computeIfAbsent(tenantId, Tenant::new);
        if (tenant.queue.size() >= queuePerTenant) {
            throw new Overloaded("the tenant has " + tenant.queue.size()
                    + " invocations waiting (limit: " + queuePerTenant + ")");
        }
        tenant.queue.addLast(item);
        queued++;
        if (tenant.queue.size() == 1) {
            ring.addLast(tenant);
        }
    }

    /**
     * Hands out the next item for one of {@code free} free slots: the head of the queue of the tenant the rules pick
     * among those whose head {@code servable} accepts (the owner's say on whether a slot fits that item, e.g. one
     * on a worker it has not excluded). It counts as running for its tenant from now on.
     *
     * @return null when no queued item may take a slot now
     */
    public E poll(int free, Predicate<? super E> servable) {
        Tenant<E> tenant = next(free, servable);
        if (tenant == null) {
            return null;
        }
        E item = tenant.queue.pollFirst();
        queued--;
        tenant.running++;
        ring.remove(tenant);
        if (!tenant.queue.isEmpty()) {
            ring.addLast(tenant); // round-robin among tenants running as many as it
        }
        return item;
    }

    /** Whether {@link #poll} would hand out an item now. */
    public boolean hasNext(int free, Predicate<? super E> servable) {
        return next(free, servable) != null;
    }

    /** Removes a still-queued item (its caller gave up or its wait expired); false if it is not queued. */
    public boolean remove(String tenantId, E item) {
        Tenant<E> tenant = tenants.get(tenantId);
        if (tenant == null) {
            return false;
        }
        Iterator<E> it = tenant.queue.iterator();
        while (it.hasNext()) {
            if (it.next() == item) {
                it.remove();
                queued--;
                if (tenant.queue.isEmpty()) {
                    ring.remove(tenant);
                }
                forgetIfIdle(tenant);
                return true;
            }
        }
        return false;
    }

    /** Removes and returns every queued item that matches (expired waits, a shutdown). */
    public List<E> removeIf(Predicate<? super E> filter) {
        List<E> removed = new ArrayList<>();
        for (Tenant<E> tenant : List.copyOf(tenants.values())) {
            Iterator<E> it = tenant.queue.iterator();
            while (it.hasNext()) {
                E item = it.next();
                if (filter.test(item)) {
                    it.remove();
                    queued--;
                    removed.add(item);
                }
            }
            if (tenant.queue.isEmpty()) {
                ring.remove(tenant);
            }
            forgetIfIdle(tenant);
        }
        return removed;
    }

    /** An item {@link #poll} handed out is done: its tenant runs one fewer. */
    public void finished(String tenantId) {
        Tenant<E> tenant = tenants.get(tenantId);
        if (tenant == null || tenant.running == 0) {
            throw new IllegalStateException("tenant " + tenantId + " has nothing running");
        }
        tenant.running--;
        forgetIfIdle(tenant);
    }

    public int running(String tenantId) {
        Tenant<E> tenant = tenants.get(tenantId);
        return tenant == null ? 0 : tenant.running;
    }

    public int queued(String tenantId) {
        Tenant<E> tenant = tenants.get(tenantId);
        return tenant == null ? 0 : tenant.queue.size();
    }

    /** Items waiting, all tenants together. */
    public int queued() {
        return queued;
    }

    private Tenant<E> next(int free, Predicate<? super E> servable) {
        if (free <= 0) {
            return null;
        }
        Tenant<E> best = null;
        for (Tenant<E> tenant : ring) {
            boolean allowed = tenant.running < maxRunningPerTenant
                    && (tenant.running == 0 || free > reserved);
            if (allowed && (best == null || tenant.running < best.running) && servable.test(tenant.queue.peekFirst())) {
                best = tenant;
            }
        }
        return best;
    }

    private void forgetIfIdle(Tenant<E> tenant) {
        if (tenant.queue.isEmpty() && tenant.running == 0) {
            tenants.remove(tenant.id);
        }
    }

    private static final class Tenant<E> {
        final String id;
        final ArrayDeque<E> queue = new ArrayDeque<>();
        int running;

        Tenant(String id) {
            this.id = id;
        }
    }
}
