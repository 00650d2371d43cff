package dev.sluice.tenancy;

/**
 * What one replica may still grant of one period quota (invocations per minute or day, fuel per day) while Redis
 * cannot be asked: its share of what Redis last said remained this period, less what it already granted locally this
 * period — never a fresh quota. Redis's answers keep it up to date; when the period Redis reported is over, the
 * quota has refilled there, and the allowance becomes this replica's share of the full quota for the next period.
 *
 * <p>Why it bounds the total: within a period Redis's remaining only falls (every replica's grants are counted there),
 * so the local grants of one replica over all outages of a period are at most its share of the remaining it saw
 * before the first of them; every replica together grant at most what remained (plus what other replicas took between
 * this one's last look and the outage).
 *
 * <p>A replica that never saw the quota's count this period (it started while Redis was away) has nothing to bound
 * by: {@link #take} answers {@code null} and the caller refuses rather than grant afresh.
 *
 * <p>Time is the injected monotonic clock of the caller. Threading: thread-safe (monitor).
 */
final class PeriodAllowance {
    /** A local grant or refusal; {@code resetNanos} until the period ends. */
    record Take(boolean granted, long remaining, long resetNanos, long period) {}

    private final long periodNanos;
    private boolean known;
    /** Monotonic time when the period Redis last reported ends (when it refills there). */
    private long periodEnd;
    private long remainingSeen;
    private long capacity;
    /** Granted locally in the period ending at {@link #periodEnd}. */
    private long localUsed;

    PeriodAllowance(long periodNanos) {
        this.periodNanos = periodNanos;
    }

    /** Redis answered: {@code remaining} now, refilled in {@code resetNanos} (0: unknown, the quota is full). */
    synchronized void observe(long now, long remaining, long resetNanos, long capacity) {
        if (known && now - periodEnd >= 0) {
            localUsed = 0; // the period the local grants were counted in is over
        }
        // Redis rounds the reset up to whole seconds: the end kept here is never before the real refill.
        periodEnd = now + (resetNanos > 0 ? resetNanos : periodNanos);
        known = true;
        remainingSeen = Math.max(0, remaining);
        this.capacity = capacity;
    }

    /** Takes {@code amount} locally if this replica's bound allows; {@code null} when nothing was ever seen. */
    synchronized Take take(long now, long amount, int replicas) {
        if (!known) {
            return null;
        }
        roll(now);
        long bound = remainingSeen / replicas;
        if (localUsed + amount <= bound) {
            localUsed += amount;
            return new Take(true, bound - localUsed, periodEnd - now, periodEnd);
        }
        return new Take(false, Math.max(0, bound - localUsed), periodEnd - now, periodEnd);
    }

    /** Gives back part of a grant made in the period ending at {@code period} (unused fuel). */
    synchronized void giveBack(long amount, long period) {
        if (known && period == periodEnd) {
            localUsed -= Math.min(localUsed, amount);
        }
    }

    private void roll(long now) {
        if (now - periodEnd < 0) {
            return;
        }
        long periods = (now - periodEnd) / periodNanos + 1;
        periodEnd += periods * periodNanos;
        remainingSeen = capacity;
        localUsed = 0;
    }
}
