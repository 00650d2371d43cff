package dev.sluice.loadtest;

import org.HdrHistogram.Histogram;

/**
 * Latency samples in nanoseconds and their percentiles, kept in an HdrHistogram (three significant digits, so any
 * percentile is within 0.1 % of the exact nearest-rank value, in constant memory whatever the number of samples).
 * Not thread-safe.
 */
final class Percentiles {
    private final Histogram histogram = new Histogram(3);

    Percentiles(int expected) {
        // The expected count sized the old sample array; a histogram needs no hint.
    }

    void add(long nanos) {
        histogram.recordValue(Math.max(0, nanos));
    }

    int count() {
        return (int) histogram.getTotalCount();
    }

    /** The percentile {@code p} in (0, 100]: the smallest recorded value with at least p % of samples at or below. */
    long percentile(double p) {
        if (histogram.getTotalCount() == 0) {
            throw new IllegalStateException("no samples");
        }
        return p >= 100 ? histogram.getMaxValue() : histogram.getValueAtPercentile(p);
    }

    String summary() {
        return String.format("n=%d p50=%.3f ms p90=%.3f ms p99=%.3f ms p99.9=%.3f ms max=%.3f ms", count(),
                ms(percentile(50)), ms(percentile(90)), ms(percentile(99)), ms(percentile(99.9)),
                ms(percentile(100)));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
