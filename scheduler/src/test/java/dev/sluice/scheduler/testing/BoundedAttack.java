package dev.sluice.scheduler.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.function.Supplier;

/**
 * One hostile call, measured: its result, how long it took and how far the heap peaked above where it was before
 * (the gauntlets' bound on what a guest-chosen size may make the host allocate). The heap pools' peaks are reset
 * first, so run one at a time when the heap bound matters.
 */
public record BoundedAttack<T>(T result, long millis, long heapRiseBytes) {
    public static <T> BoundedAttack<T> run(Supplier<T> attack) {
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        long before = heap.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long started = System.nanoTime();
        T result = attack.get();
        long millis = (System.nanoTime() - started) / 1_000_000;
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        return new BoundedAttack<>(result, millis, peak - before);
    }

    /** The result, once the call is shown to have ended within {@code boundMs} and under {@code heapSlackMib}. */
    public T within(String call, long boundMs, long heapSlackMib) {
        assertTrue(millis < boundMs, call + " took " + millis + " ms");
        assertTrue(heapRiseBytes < heapSlackMib << 20, call + ": heap peaked " + (heapRiseBytes >> 20)
                + " MiB above where it was");
        return result;
    }
}
