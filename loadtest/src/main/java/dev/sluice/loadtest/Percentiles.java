package dev.sluice.loadtest;

import java.util.Arrays;

/** Latency samples in nanoseconds and their nearest-rank percentiles. Not thread-safe. */
final class Percentiles {
    private long[] samples;
    private int count;

    Percentiles(int expected) {
        samples = new long[Math.max(16, expected)];
    }

    void add(long nanos) {
        if (count == samples.length) {
            samples = Arrays.copyOf(samples, count * 2);
        }
        samples[count++] = nanos;
    }

    int count() {
        return count;
    }

    /** The nearest-rank percentile, {@code p} in (0, 100]. */
    long percentile(double p) {
        if (count == 0) {
            throw new IllegalStateException("no samples");
        }
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * count);
        return sorted[Math.max(0, Math.min(count - 1, rank - 1))];
    }

    String summary() {
        return String.format("n=%d p50=%.3f ms p90=%.3f ms p99=%.3f ms p99.9=%.3f ms max=%.3f ms", count,
                ms(percentile(50)), ms(percentile(90)), ms(percentile(99)), ms(percentile(99.9)),
                ms(percentile(100)));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
