package dev.sluice.scheduler.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.function.Supplier;

/**
 * One hostile call, measured: its result, how long it took (wall clock, and the CPU the whole process used meanwhile)
 * and how far the heap peaked above where it was before (the gauntlets' bound on what a guest-chosen size may make
 * the host allocate). The heap pools' peaks are reset first, so run one at a time when the heap bound matters.
 *
 * <p>The time bound is on CPU: a call that burns the host's CPU for a guest-chosen size is what the bound catches,
 * and CPU time does not grow when other processes share the machine (wall time did: calls of a few milliseconds took
 * 2.6–6.2 s at load 7 on 2 cores). A hang that uses no CPU is caught by the wall clock, at {@value #WALL_FACTOR}
 * times the bound.
 */
public record BoundedAttack<T>(T result, long millis, long cpuMillis, long heapRiseBytes) {
    /** How much longer than the CPU bound a call may take on the wall clock before it counts as hung. */
    public static final int WALL_FACTOR = 10;
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    public static <T> BoundedAttack<T> run(Supplier<T> attack) {
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        long before = heap.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long cpuStarted = OS.getProcessCpuTime();
        long started = System.nanoTime();
        T result = attack.get();
        long millis = (System.nanoTime() - started) / 1_000_000;
        long cpuMillis = (OS.getProcessCpuTime() - cpuStarted) / 1_000_000;
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        return new BoundedAttack<>(result, millis, cpuMillis, peak - before);
    }

    /**
     * The result, once the call is shown to have used less than {@code boundMs} of CPU, ended within
     * {@link #WALL_FACTOR} times that, and stayed under {@code heapSlackMib}.
     */
    public T within(String call, long boundMs, long heapSlackMib) {
        assertTrue(cpuMillis < boundMs, call + " used " + cpuMillis + " ms of CPU (" + millis + " ms wall)");
        assertTrue(millis < boundMs * WALL_FACTOR, call + " took " + millis + " ms (" + cpuMillis + " ms of CPU)");
        assertTrue(heapRiseBytes < heapSlackMib << 20, call + ": heap peaked " + (heapRiseBytes >> 20)
                + " MiB above where it was");
        return result;
    }
}
