package dev.sluice.tenancy;

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
    /** A local grant or refusal; {@code resetNanos} until the period ends, {@code period} identifies it. */
    record Take(boolean granted, long remaining, long resetNanos, long period) {}

    private final long periodNanos;
    private final long trustNanos;
    private boolean known;
    /** When Redis last answered for this quota. */
    private long seenAt;
    /** Whether the current period began while Redis was away: its share is of the full quota, not of a remainder. */
    private boolean fresh;
    /** Monotonic time when the period Redis last reported ends (when it refills there). */
    private long periodEnd;
    /** What remained in Redis at the last answer, less what this replica owed it then (debited since). */
    private long remainingSeen;
    private long capacity;
    /** Granted locally since the last answer from Redis, in the period ending at {@link #periodEnd}: owed to Redis. */
    private long owed;

    /** {@code trustNanos}: how long before an outage a remainder seen may be to bound the fallback by. */
    PeriodAllowance(long periodNanos, long trustNanos) {
        this.periodNanos = periodNanos;
        this.trustNanos = trustNanos;
    }

    /**
     * Redis answered: {@code remaining} now, refilled in {@code resetNanos} (0: unknown, the quota is full). Returns
     * what this replica granted locally in the same period, for the caller to debit in Redis (0 when nothing).
     */
    synchronized long observe(long now, long remaining, long resetNanos, long capacity) {
        if (known && now - periodEnd >= 0) {
            owed = 0; // granted in a period that is over: Redis has refilled since, nothing to debit
        }
        // Redis rounds the reset up to whole seconds: the end kept here is never before the real refill.
        periodEnd = now + (resetNanos > 0 ? resetNanos : periodNanos);
        known = true;
        seenAt = now;
        fresh = false;
        long debit = owed;
        owed = 0;
        remainingSeen = Math.max(0, remaining - debit);
        this.capacity = capacity;
        return debit;
    }

    /** A debit handed out by {@link #observe} did not reach Redis: owed again, if still the same period. */
    synchronized void owe(long amount, long period) {
        if (known && period == periodEnd) {
            owed += amount;
            remainingSeen = Math.min(capacity, remainingSeen + amount);
        }
    }

    /** The period {@link #observe} last reported, for {@link #owe}. */
    synchronized long period() {
        return periodEnd;
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
            periodEnd = start + periodNanos;
            remainingSeen = capacity;
            owed = 0;
            fresh = true;
        } else if (!fresh && unavailableSince - seenAt > trustNanos) {
            return null; // seen too long before Redis went away to bound by
        }
        long bound = remainingSeen / replicas;
        if (owed + amount <= bound) {
            owed += amount;
            return new Take(true, bound - owed, periodEnd - now, periodEnd);
        }
        return new Take(false, Math.max(0, bound - owed), periodEnd - now, periodEnd);
    }

    /** Gives back part of a local grant made in the period ending at {@code period} (unused fuel), if still owed. */
    synchronized void giveBack(long amount, long period) {
        if (known && period == periodEnd) {
            owed -= Math.min(owed, amount);
        }
    }
}
