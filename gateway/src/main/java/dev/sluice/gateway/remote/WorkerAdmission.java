package dev.sluice.gateway.remote;

import dev.sluice.gateway.core.WorkCounter;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A worker's own admission: at most {@code maxConcurrency} invocations at once, none once draining. A refusal is a
 * value ({@link Optional#empty()}), answered at once as "not started", so the gateway may try another worker.
 * An admitted invocation holds two things: its slot, given back as soon as the guest is done (so the gateway's next
 * call finds room), and its answer, held until the answer is written. {@link #awaitIdle} waits for both: a stop
 * that closed the port once the slots were free would cut answers still being sent, and the gateway would count
 * a call that ran as lost. Thread-safe.
 */
final class WorkerAdmission {
    private final int maxConcurrency;
    private final WorkCounter counter;
    // Admitted invocations whose answer is not yet written; entered only with a slot, so once draining and the slots
    // are idle it only falls.
    private final WorkCounter answering = WorkCounter.unlimited();
    private final LongSupplier nanoTime;
    // When the last answer was written (nanoTime), for awaitQuiet.
    private final AtomicLong lastAnswered;

    WorkerAdmission(int maxConcurrency) {
        this(maxConcurrency, System::nanoTime);
    }

    WorkerAdmission(int maxConcurrency, LongSupplier nanoTime) {
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("worker-max-concurrency: " + maxConcurrency + " (expected: > 0)");
        }
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        // As if the last answer were long past: a worker that answered nothing stops at once.
        this.lastAnswered = new AtomicLong(nanoTime.getAsLong() - TimeUnit.DAYS.toNanos(1));
        this.maxConcurrency = maxConcurrency;
        this.counter = WorkCounter.limitedTo(maxConcurrency);
    }

    /**
     * One admitted invocation: {@link #releaseSlot} once the guest is done, {@link #close} once its answer is written
     * (which gives the slot back too, if it is still held). Both idempotent.
     */
    final class Permit implements AutoCloseable {
        private final AtomicBoolean slotReleased = new AtomicBoolean();
        private final AtomicBoolean answered = new AtomicBoolean();

        void releaseSlot() {
            if (slotReleased.compareAndSet(false, true)) {
                counter.exit();
            }
        }

        @Override
        public void close() {
            releaseSlot();
            if (answered.compareAndSet(false, true)) {
                lastAnswered.set(nanoTime.getAsLong());
                answering.exit();
            }
        }
    }

    /** A permit, or empty when the worker is full or draining. */
    Optional<Permit> tryEnter() {
        if (!counter.tryEnter()) {
            return Optional.empty();
        }
        answering.tryEnter(); // unlimited and never closed: always admitted
        return Optional.of(new Permit());
    }

    /** Refuse everything from now on; running work goes on. */
    void drain() {
        counter.close();
    }

    boolean draining() {
        return counter.closed();
    }

    /** @return whether every admitted invocation finished, and its answer was written, within the time */
    boolean awaitIdle(long millis) throws InterruptedException {
        return WorkCounter.awaitIdle(millis, counter, answering);
    }

    /**
     * How long to wait, at most {@code maxMillis}, until {@code quietMillis} have passed since the last answer was
     * written: time for a gateway to read it before the port closes.
     */
    long quietWaitMillis(long quietMillis, long maxMillis) {
        long since = TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - lastAnswered.get());
        return Math.max(0, Math.min(maxMillis, quietMillis - since));
    }

    int running() {
        return counter.running();
    }

    /** Invocations admitted since start: each one ran (or began to run) the guest here at most once. */
    long started() {
        return counter.started();
    }

    int maxConcurrency() {
        return maxConcurrency;
    }
}
