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
 * <p>Errors: {@code EINVAL} for no subscriptions or too many, {@code EFAULT} for arrays or the result outside
 * memory; Chicory answers the rest. Confined to the thread running the invocation.
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
    private final FuelMeter fuel;
    private final Clock clock;
    private final LongSupplier nanoTime;

    PollOneoff(Stdio stdio, FuelMeter fuel, Clock clock, LongSupplier nanoTime) {
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
            long waitNanos = requestedWait(memory, (int) GuestMemory.u32(args[0]), (int) subscriptions);
            long cost = FuelCosts.sleepCost(waitNanos);
            long left = fuel.left();
            if (cost > left && waitNanos != FOREVER) {
                sleepWhatIsPaidFor(left);
            }
            fuel.charge(cost); // throws Exhausted when the guest could not pay for it all
            return chicory.handle().apply(instance, args);
        });
    }

    /** Holds the worker as long as {@code left} fuel pays for, charging what it held if the timeout interrupts. */
    private void sleepWhatIsPaidFor(long left) {
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

    /**
     * How long Chicory's poll would block: until the earliest clock subscription, 0 when some fd event is ready at
     * once, {@link #FOREVER} when nothing can ever fire. A malformed subscription (Chicory answers {@code EINVAL}
     * without sleeping) counts as 0.
     */
    private long requestedWait(Memory memory, int in, int count) {
        long earliest = FOREVER;
        for (int i = 0; i < count; i++) {
            int at = in + i * SUBSCRIPTION_BYTES;
            byte tag = memory.read(at + 8);
            if (tag == CLOCK) {
                int id = memory.readInt(at + 16);
                long timeout = memory.readLong(at + 24);
                short flags = memory.readShort(at + 40);
                if (id != REALTIME && id != MONOTONIC) {
                    return 0;
                }
                if ((flags & 1) != 0) { // subscription_clock_abstime
                    timeout -= id == REALTIME ? epochNanos(clock.instant()) : nanoTime.getAsLong();
                }
                earliest = Math.min(earliest, Math.max(timeout, 0));
            } else if (tag == FD_WRITE) {
                return 0; // Chicory reports every write subscription at once (ready, EBADF or ENOTSUP)
            } else if (tag == FD_READ) {
                // Ready at once (data, or an error event) unless it waits on a stdin with nothing left, which
                // Chicory polls forever.
                if (!stdio.readWouldWait(memory.readInt(at + 16))) {
                    return 0;
                }
            } else {
                return 0;
            }
        }
        return earliest;
    }

    private static long epochNanos(Instant now) {
        return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
    }
}
