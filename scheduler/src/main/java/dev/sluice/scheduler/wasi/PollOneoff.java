package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Memory;
import dev.sluice.scheduler.fuel.FuelCosts;
import dev.sluice.scheduler.fuel.FuelMeter;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@code poll_oneoff} around Chicory's: checks the subscriptions and events arrays against memory (so the number of
 * subscriptions is bounded by the guest's memory: {@code nsubscriptions * 48} bytes must fit, and as many 32-byte
 * events; and at most {@value #MAX_SUBSCRIPTIONS}), and makes a sleep cost fuel. Holding a worker was nearly free
 * (one host call); now the time the guest asks to block, rounded up to whole milliseconds, costs
 * {@link FuelCosts#SLEEP_PER_MS} per millisecond, charged before it sleeps, so the same call costs the same fuel on
 * every run. A guest that cannot pay for its whole sleep holds the worker only as long as its fuel pays for, then
 * runs out of fuel; one waiting on nothing that can happen (only a read of an exhausted stdin, which Chicory would
 * poll forever) runs out at once. The sleep stays interruptible: the timeout watchdog's interrupt ends it.
 *
 * <p>When nothing is ready at once, Sluice blocks and writes the clock events itself, from the one reading of each
 * clock that also priced the wait, so what is charged is what can block; Chicory only answers polls that return
 * without blocking.
 *
 * <p>Errors: {@code EINVAL} for no subscriptions or too many, {@code EFAULT} for arrays or the result outside
 * memory; Chicory answers the rest. Built once per worker thread: the fuel it charges is the current invocation's.
 * Confined to that thread.
 */
final class PollOneoff {
    /**
     * Chicory keeps a small object per subscription; this bounds them whatever the guest's memory (Linux's
     * {@code poll} likewise refuses more descriptors than {@code RLIMIT_NOFILE} with {@code EINVAL}).
     */
    static final int MAX_SUBSCRIPTIONS = 4096;
    static final int SUBSCRIPTION_BYTES = 48;
    static final int EVENT_BYTES = 32;
    private static final byte CLOCK = 0;
    private static final byte FD_READ = 1;
    private static final byte FD_WRITE = 2;
    private static final int REALTIME = 0;
    private static final int MONOTONIC = 1;
    private static final long FOREVER = Long.MAX_VALUE;

    private final Stdio stdio;
    private final Supplier<FuelMeter> fuel;
    private final Clock clock;
    private final LongSupplier nanoTime;

    PollOneoff(Stdio stdio, Supplier<FuelMeter> fuel, Clock clock, LongSupplier nanoTime) {
        this.stdio = stdio;
        this.fuel = fuel;
        this.clock = clock;
        this.nanoTime = nanoTime;
    }

    HostFunction wrap(HostFunction chicory) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, args) -> {
            Memory memory = instance.memory();
            long subscriptions = GuestMemory.u32(args[2]);
            if (subscriptions == 0 || subscriptions > MAX_SUBSCRIPTIONS) {
                return Errno.EINVAL.result();
            }
            if (!Region.array(0, 2, SUBSCRIPTION_BYTES).fits(memory, args)
                    || !Region.array(1, 2, EVENT_BYTES).fits(memory, args)
                    || !Region.fixed(3, 4).fits(memory, args)) {
                return Errno.EFAULT.result();
            }
            FuelMeter fuel = this.fuel.get();
            fuel.charge(subscriptions * FuelCosts.POLL_PER_SUBSCRIPTION); // throws Exhausted when it cannot pay
            int in = (int) GuestMemory.u32(args[0]);
            long[] waits = new long[(int) subscriptions];
            Plan plan = plan(memory, in, waits);
            if (plan == Plan.REFUSE) {
                return Errno.EINVAL.result();
            }
            if (plan == Plan.AT_ONCE) {
                // Something is ready (or malformed): Chicory answers without sleeping, whatever it makes of the
                // clock subscriptions.
                return chicory.handle().apply(instance, args);
            }
            long waitNanos = FOREVER;
            for (long wait : waits) {
                waitNanos = Math.min(waitNanos, wait);
            }
            long cost = FuelCosts.sleepCost(waitNanos);
            long left = fuel.left();
            if (cost > left && waitNanos != FOREVER) {
                sleepWhatIsPaidFor(left);
            }
            fuel.charge(cost); // throws Exhausted when the guest could not pay for it all
            sleep(waitNanos);
            int out = (int) GuestMemory.u32(args[1]);
            // Every userdata is read before the first event is written: WASI lets the events overlap the
            // subscriptions (out == in), and an event written first would clobber a subscription not yet read.
            long[] userdata = new long[waits.length];
            for (int i = 0; i < waits.length; i++) {
                userdata[i] = memory.readLong(in + i * SUBSCRIPTION_BYTES);
            }
            int events = 0;
            for (int i = 0; i < waits.length; i++) {
                if (waits[i] <= waitNanos) { // every clock subscription due by now; never a waiting read
                    int event = out + events * EVENT_BYTES;
                    memory.fill((byte) 0, event, event + EVENT_BYTES);
                    memory.writeLong(event, userdata[i]);
                    memory.writeByte(event + 10, CLOCK); // error 0 (success), type clock
                    events++;
                }
            }
            memory.writeI32((int) GuestMemory.u32(args[3]), events);
            return Errno.SUCCESS.result();
        });
    }

    /** Blocks exactly the wait that was paid for; the timeout watchdog's interrupt ends it. */
    private static void sleep(long nanos) {
        if (nanos <= 0) {
            return;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChicoryInterruptedException("interrupted while sleeping in poll_oneoff");
        }
    }

    /** Holds the worker as long as {@code left} fuel pays for, charging what it held if the timeout interrupts. */
    private void sleepWhatIsPaidFor(long left) {
        FuelMeter fuel = this.fuel.get();
        long started = nanoTime.getAsLong();
        try {
            TimeUnit.MILLISECONDS.sleep(left / FuelCosts.SLEEP_PER_MS);
        } catch (InterruptedException e) {
            long held = FuelCosts.sleepCost(nanoTime.getAsLong() - started);
            fuel.charge(Math.min(held, left));
            Thread.currentThread().interrupt();
            throw new ChicoryInterruptedException("interrupted while sleeping in poll_oneoff");
        }
    }

    /** What a poll does, decided once, from one reading of each clock. */
    private enum Plan {
        /** Some event is ready at once or a subscription is malformed: Chicory answers without blocking. */
        AT_ONCE,
        /** Nothing is ready: Sluice blocks until the earliest clock subscription (forever without one). */
        WAIT,
        /** An absolute timeout so far from now that the wait overflows 64 bits: {@code EINVAL}. */
        REFUSE
    }

    /**
     * Fills {@code waits} with how long each subscription waits: the clock ones their timeout (made relative once,
     * here, and at least 0), the reads of an exhausted stdin {@link #FOREVER}. Chicory is never left to compute a
     * wait itself: it subtracts an absolute timeout from its own later reading of the clock, and a timeout set
     * near {@code now + 2^63} is in the past for one subtraction and wraps to ~292 years for the next, so a poll
     * charged nothing would block until the watchdog.
     */
    private Plan plan(Memory memory, int in, long[] waits) {
        for (int i = 0; i < waits.length; i++) {
            int at = in + i * SUBSCRIPTION_BYTES;
            byte tag = memory.read(at + 8);
            if (tag == CLOCK) {
                int id = memory.readInt(at + 16);
                long timeout = memory.readLong(at + 24);
                short flags = memory.readShort(at + 40);
                if (id != REALTIME && id != MONOTONIC) {
                    return Plan.AT_ONCE; // Chicory answers EINVAL
                }
                if ((flags & 1) != 0) { // subscription_clock_abstime
                    long now = id == REALTIME ? epochNanos(clock.instant()) : nanoTime.getAsLong();
                    long relative = timeout - now;
                    if (((timeout ^ now) & (timeout ^ relative)) < 0) { // the subtraction overflowed
                        return Plan.REFUSE;
                    }
                    timeout = relative;
                }
                waits[i] = Math.max(timeout, 0);
            } else if (tag == FD_READ && stdio.readWouldWait(memory.readInt(at + 16))) {
                waits[i] = FOREVER; // a read of a stdin with nothing left, which Chicory would poll forever
            } else {
                // A write (Chicory reports every one at once: ready, EBADF or ENOTSUP), a ready read (data or an
                // error event), or an unknown type (EINVAL).
                return Plan.AT_ONCE;
            }
        }
        return Plan.WAIT;
    }

    private static long epochNanos(Instant now) {
        return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
    }
}
