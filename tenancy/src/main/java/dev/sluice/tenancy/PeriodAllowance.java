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
 * <p>A replica that never saw the quota's count this period (it started while Redis was away) has nothing to bound
 * by: {@link #take} answers {@code null} and the caller refuses rather than grant afresh.
 *
 * <p>Time is the injected monotonic clock of the caller. Threading: thread-safe (monitor).
 */
final class PeriodAllowance {
    /** A local grant or refusal; {@code resetNanos} until the period ends, {@code period} identifies it. */
    record Take(boolean granted, long remaining, long resetNanos, long period) {}

    private final long periodNanos;
    private boolean known;
    /** Monotonic time when the period Redis last reported ends (when it refills there). */
    private long periodEnd;
    /** What remained in Redis at the last answer, less what this replica owed it then (debited since). */
    private long remainingSeen;
    private long capacity;
    /** Granted locally since the last answer from Redis, in the period ending at {@link #periodEnd}: owed to Redis. */
    private long owed;

    PeriodAllowance(long periodNanos) {
        this.periodNanos = periodNanos;
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

    /** Takes {@code amount} locally if this replica's bound allows; {@code null} when nothing was ever seen. */
    synchronized Take take(long now, long amount, int replicas) {
        if (!known) {
            return null;
        }
        roll(now);
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

    private void roll(long now) {
        if (now - periodEnd < 0) {
            return;
        }
        long periods = (now - periodEnd) / periodNanos + 1;
        periodEnd += periods * periodNanos;
        remainingSeen = capacity;
        owed = 0;
    }
}
