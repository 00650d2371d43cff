package dev.sluice.tenancy.quota;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Decides whether Redis is asked at all, from the outcome of recent calls (resilience4j's count-and-ratio breaker over
 * a time window, reduced to what the quotas need).
 *
 * <ul>
 *   <li><b>Closed</b> (normal): every call goes to Redis. Outcomes are counted in a sliding window of
 *       {@link BreakerSettings#window()} (ten slots). The breaker opens only when, within the window, at least
 *       {@link BreakerSettings#minFailures()} calls failed <em>and</em> they are at least {@link BreakerSettings#failurePercent()}
 *       of the calls made — so one slow call, or a burst of them on a busy gateway, never opens it.</li>
 *   <li><b>Open</b>: no call goes to Redis for {@link BreakerSettings#openFor()}; callers take their fail policy at once
 *       instead of each waiting out the command timeout of a stalled Redis.</li>
 *   <li><b>Half-open</b>: after that, up to {@link BreakerSettings#probes()} calls go to Redis while the rest keep to the fail
 *       policy. If all of them succeed the breaker closes with a fresh window; one failure opens it again.</li>
 * </ul>
 *
 * <p>Time comes from the injected nanosecond clock, so tests drive every transition without sleeping.
 *
 * <p>Threading: thread-safe. State changes under this object's monitor; each critical section is a few field updates,
 * small next to the Redis round trip it guards.
 */
public final class CircuitBreaker {
    enum State { CLOSED, OPEN, HALF_OPEN }

    /** What a caller may do now. */
    public enum Permission {
        /** Call Redis and report the outcome. */
        CALL,
        /** Call Redis as one of the half-open probes and report the outcome. */
        PROBE,
        /** Do not call Redis; take the fail policy. */
        REFUSE
    }

    static final int SLOTS = 10;

    private final BreakerSettings settings;
    private final LongSupplier nanoTime;
    private final long slotNanos;
    // Sliding window: slot i counts the calls whose (time / slotNanos) % SLOTS == i, stamped with that epoch.
    private final long[] slotEpoch = new long[SLOTS];
    private final int[] slotCalls = new int[SLOTS];
    private final int[] slotFailures = new int[SLOTS];
    private State state = State.CLOSED;
    private long openUntil;
    private int probesStarted;
    private int probesSucceeded;
    private long opened;
    /** Whether Redis has not answered since the breaker opened at {@link #downSince}. */
    private boolean down;
    private long downSince;

    public CircuitBreaker(BreakerSettings settings, LongSupplier nanoTime) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.slotNanos = settings.window().toNanos() / SLOTS;
        java.util.Arrays.fill(slotEpoch, Long.MIN_VALUE);
    }

    public synchronized Permission acquire() {
        return switch (state) {
            case CLOSED -> Permission.CALL;
            case OPEN -> {
                if (nanoTime.getAsLong() - openUntil < 0) {
                    yield Permission.REFUSE;
                }
                state = State.HALF_OPEN;
                probesStarted = 1;
                probesSucceeded = 0;
                yield Permission.PROBE;
            }
            case HALF_OPEN -> {
                if (probesStarted < settings.probes()) {
                    probesStarted++;
                    yield Permission.PROBE;
                }
                yield Permission.REFUSE;
            }
        };
    }

    /** Redis answered; returns whether this closed the breaker (the last probe succeeded). */
    public synchronized boolean onSuccess(Permission permission) {
        down = false;
        if (permission == Permission.PROBE) {
            if (state == State.HALF_OPEN && ++probesSucceeded >= settings.probes()) {
                close();
                return true;
            }
            return false;
        }
        if (permission == Permission.CALL && state == State.CLOSED) {
            record(false);
        }
        return false;
    }

    /** Redis did not answer in time, or could not be reached; returns whether this opened the breaker. */
    public synchronized boolean onFailure(Permission permission) {
        if (permission == Permission.PROBE && state == State.HALF_OPEN
                || permission == Permission.CALL && state == State.CLOSED && record(true)) {
            open();
            return true;
        }
        return false;
    }

    /** The call ended without telling anything about Redis (bad input, say): a probe's place is freed. */
    public synchronized void onIgnored(Permission permission) {
        if (permission == Permission.PROBE && state == State.HALF_OPEN && probesStarted > 0) {
            probesStarted--;
        }
    }

    synchronized State state() {
        if (state == State.OPEN && nanoTime.getAsLong() - openUntil >= 0) {
            return State.HALF_OPEN; // the next acquire probes
        }
        return state;
    }

    /**
     * Since when Redis has not answered this gateway: when the breaker opened, if no call succeeded since; otherwise
     * now (Redis answered lately, or it is not judged unavailable), the conservative answer for whoever bounds a
     * fallback by it.
     */
    synchronized long unavailableSince() {
        return down ? downSince : nanoTime.getAsLong();
    }

    /** How many times the breaker opened. */
    synchronized long timesOpened() {
        return opened;
    }

    /** Records one outcome; returns whether the window now calls for opening. */
    private boolean record(boolean failed) {
        long epoch = Math.floorDiv(nanoTime.getAsLong(), slotNanos);
        int slot = (int) Math.floorMod(epoch, SLOTS);
        if (slotEpoch[slot] != epoch) {
            slotEpoch[slot] = epoch;
            slotCalls[slot] = 0;
            slotFailures[slot] = 0;
        }
        slotCalls[slot]++;
        if (!failed) {
            return false;
        }
        slotFailures[slot]++;
        int calls = 0;
        int failures = 0;
        for (int i = 0; i < SLOTS; i++) {
            if (slotEpoch[i] != Long.MIN_VALUE && epoch - slotEpoch[i] < SLOTS) {
                calls += slotCalls[i];
                failures += slotFailures[i];
            }
        }
        return failures >= settings.minFailures() && failures * 100L >= (long) settings.failurePercent() * calls;
    }

    private void open() {
        long now = nanoTime.getAsLong();
        if (!down) {
            down = true;
            downSince = now;
        }
        state = State.OPEN;
        openUntil = now + settings.openFor().toNanos();
        opened++;
    }

    private void close() {
        state = State.CLOSED;
        java.util.Arrays.fill(slotEpoch, Long.MIN_VALUE);
        java.util.Arrays.fill(slotCalls, 0);
        java.util.Arrays.fill(slotFailures, 0);
    }
}
