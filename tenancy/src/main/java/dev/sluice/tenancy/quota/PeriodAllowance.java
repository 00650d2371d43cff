package dev.sluice.tenancy.quota;

import java.util.ArrayList;
import java.util.List;

/**
 * What one replica may still grant of one period quota (invocations per minute or day, fuel per day) while Redis
 * cannot be asked: its share of what Redis last said remained this period, less what it granted locally since — never
 * a fresh quota. Redis's answers keep it up to date; when the period Redis reported is over, the quota has refilled
 * there, and the allowance becomes this replica's share of the full quota for the next period.
 *
 * <p>Local grants are owed to Redis: the first answer from Redis in the same period hands them back from
 * {@link #observe} so that the caller debits them there, and every replica then sees them counted. So the replicas
 * together never grant more than what remained when Redis went away (plus what others took between this replica's
 * last look and the outage), and Redis does not grant it a second time when it comes back.
 *
 * <p>{@link #take} answers {@code null}, and the caller refuses rather than grant, when this replica has nothing
 * trustworthy to bound by:
 * <ul>
 *   <li>it never saw the quota's count (it started while Redis was away);</li>
 *   <li>the period it last saw is over and the one now running began before Redis became unavailable: Redis answered
 *       (other replicas) in this period, which may already have used it up — a replica that last asked yesterday must
 *       not grant today afresh. Only a period that began while Redis was already away is known to be untouched there,
 *       so only then is the share of the full quota granted;</li>
 *   <li>what it saw remained this period was seen more than {@code trustNanos} before Redis became unavailable:
 *       others may have granted much of it since.</li>
 * </ul>
 *
 * <p>Time is the injected monotonic clock of the caller. Threading: thread-safe (monitor).
 */
final class PeriodAllowance {
    /** A local grant or refusal; {@code resetNanos} until the period ends; {@code grant} to give back from. */
    record Take(boolean granted, long remaining, long resetNanos, Grant grant) {}

    /**
     * One local grant: in which period (a counter, stable while Redis's answers move the period's end about) and
     * whether an answer from Redis has handed it out to be debited there — then what is given back of it is refunded
     * there, not here.
     */
    static final class Grant {
        final long amount;
        final long period;
        boolean debited; // guarded by the allowance

        Grant(long amount, long period) {
            this.amount = amount;
            this.period = period;
        }
    }

    /** Local grants handed out by {@link #observe} to debit in Redis; {@link #owe} them back if that fails. */
    record Debt(long amount, long period, List<Grant> grants) {
        static final Debt NONE = new Debt(0, 0, List.of());
    }

    private final long periodNanos;
    private final long trustNanos;
    private boolean known;
    /** Counts the periods seen; identifies the one a grant was made in. */
    private long period;
    /** When Redis last answered for this quota. */
    private long seenAt;
    /** Whether the current period began while Redis was away: its share is of the full quota, not of a remainder. */
    private boolean fresh;
    /** Monotonic time when the period Redis last reported ends (when it refills there). */
    private long periodEnd;
    /** What remained in Redis at the last answer, less what this replica owed it then (debited since). */
    private long remainingSeen;
    private long capacity;
    /** Granted locally since the last answer from Redis, in the current period: owed to Redis. */
    private long owed;
    /** The grants {@link #owed} is made of (less what was given back of them), to mark as debited when handed out. */
    private final List<Grant> pending = new ArrayList<>();

    /** {@code trustNanos}: how long before an outage a remainder seen may be to bound the fallback by. */
    PeriodAllowance(long periodNanos, long trustNanos) {
        this.periodNanos = periodNanos;
        this.trustNanos = trustNanos;
    }

    /**
     * Redis answered: {@code remaining} now, refilled in {@code resetNanos} (0: unknown, the quota is full). Returns
     * what this replica granted locally in the same period, for the caller to debit in Redis.
     */
    synchronized Debt observe(long now, long remaining, long resetNanos, long capacity) {
        if (!known || now - periodEnd >= 0) {
            newPeriod(); // what was granted in a period that is over is not debited: Redis has refilled since
        }
        // Redis rounds the reset up to whole seconds: the end kept here is never before the real refill.
        periodEnd = now + (resetNanos > 0 ? resetNanos : periodNanos);
        known = true;
        seenAt = now;
        fresh = false;
        remainingSeen = Math.max(0, remaining - owed);
        this.capacity = capacity;
        if (owed == 0) {
            return Debt.NONE;
        }
        for (Grant grant : pending) {
            grant.debited = true;
        }
        Debt debt = new Debt(owed, period, List.copyOf(pending));
        owed = 0;
        pending.clear();
        return debt;
    }

    /** A debt handed out by {@link #observe} did not reach Redis: owed again, if still the same period. */
    synchronized void owe(Debt debt) {
        if (known && debt.period() == period && debt.amount() > 0) {
            owed += debt.amount();
            remainingSeen = Math.min(capacity, remainingSeen + debt.amount());
            for (Grant grant : debt.grants()) {
                grant.debited = false;
                pending.add(grant);
            }
        }
    }

    /**
     * Takes {@code amount} locally if this replica's bound allows; {@code null} when it has nothing to bound by (see
     * the class comment). {@code unavailableSince}: since when Redis has not answered this gateway.
     */
    synchronized Take take(long now, long amount, int replicas, long unavailableSince) {
        if (!known) {
            return null;
        }
        if (now - periodEnd >= 0) {
            long start = periodEnd + (now - periodEnd) / periodNanos * periodNanos; // of the period running now
            if (unavailableSince - start >= 0) {
                return null; // Redis answered others in this period: what remains of it is unknown here
            }
            newPeriod();
            periodEnd = start + periodNanos;
            remainingSeen = capacity;
            fresh = true;
        } else if (!fresh && unavailableSince - seenAt > trustNanos) {
            return null; // seen too long before Redis went away to bound by
        }
        long bound = remainingSeen / replicas;
        if (owed + amount <= bound) {
            owed += amount;
            Grant grant = new Grant(amount, period);
            pending.add(grant);
            return new Take(true, bound - owed, periodEnd - now, grant);
        }
        return new Take(false, Math.max(0, bound - owed), periodEnd - now, null);
    }

    /**
     * Gives back {@code amount} of a local grant (unused fuel), if its period is still running. Returns what
     * the caller must refund in Redis because an answer from Redis already handed the grant out to be debited there
     * (0 when given back here, or nothing is owed anywhere).
     */
    synchronized long giveBack(Grant grant, long amount, long now) {
        if (!known || grant.period != period || amount <= 0 || now - periodEnd >= 0) {
            return 0;
        }
        long back = Math.min(amount, grant.amount);
        if (grant.debited) {
            return back;
        }
        owed -= Math.min(owed, back);
        return 0;
    }

    private void newPeriod() {
        period++;
        owed = 0;
        pending.clear();
    }
}
