package dev.sluice.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The measured phase of one load run: requests completed, errors by status (or by failure when there was no
 * response), requests sent late because too many were in flight, and the latencies of the answered requests in
 * microseconds. Latencies above {@link #MAX_MICROS} are recorded as that value.
 */
record LoadResult(String name, LoadPlan plan, double seconds, long count, long late, Map<String, Long> errors,
                  Histogram latencies) {
    static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);
    static final double[] PERCENTILES = {50, 90, 99, 99.9};

    double throughput() {
        return count / seconds;
    }

    long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The latency at percentile {@code p} (100: the maximum) in milliseconds; 0 when nothing was answered. */
    double millis(double p) {
        if (latencies.getTotalCount() == 0) {
            return 0;
        }
        return (p >= 100 ? latencies.getMaxValue() : latencies.getValueAtPercentile(p)) / 1000.0;
    }

    static String table(List<LoadResult> results) {
        StringBuilder out = new StringBuilder(String.format("%-34s %8s %8s %6s %9s %9s %9s %9s %9s %9s  %s%n",
                "run", "count", "req/s", "late", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors",
                "by status"));
        for (LoadResult r : results) {
            out.append(String.format("%-34s %8d %8.1f %6d %9.2f %9.2f %9.2f %9.2f %9.2f %9d  %s%n", r.name, r.count,
                    r.throughput(), r.late, r.millis(50), r.millis(90), r.millis(99), r.millis(99.9), r.millis(100),
                    r.errorCount(), r.errors.isEmpty() ? "-" : r.errors));
        }
        return out.toString();
    }

    ObjectNode json(ObjectMapper mapper) {
        ObjectNode node = mapper.createObjectNode();
        node.put("name", name);
        node.put("mode", plan.mode().name().toLowerCase());
        node.put("rate", plan.rate());
        node.put(plan.mode() == LoadPlan.Mode.OPEN ? "max-in-flight" : "clients", plan.concurrency());
        node.put("warmup-seconds", plan.warmup().toMillis() / 1000.0);
        node.put("duration-seconds", seconds);
        node.put("count", count);
        node.put("throughput", throughput());
        node.put("late", late);
        ObjectNode errorNode = node.putObject("errors");
        errors.forEach(errorNode::put);
        ObjectNode latency = node.putObject("latency-ms");
        latency.put("count", latencies.getTotalCount());
        for (double p : PERCENTILES) {
            latency.put("p" + (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p)), millis(p));
        }
        latency.put("max", millis(100));
        latency.put("mean", latencies.getTotalCount() == 0 ? 0 : latencies.getMean() / 1000.0);
        return node;
    }

    /** Writes {@code {"scenario":..., "time":..., "results":[...]}} to {@code file}, creating its directory. */
    static void writeJson(Path file, String scenario, Map<String, Object> settings, List<LoadResult> results)
            throws IOException {
        writeJson(file, scenario, settings, results, Map.of());
    }

    /** The same with more top-level entries ({@code extra}: plain values, lists and maps, e.g. a per-tenant spread). */
    static void writeJson(Path file, String scenario, Map<String, Object> settings, List<LoadResult> results,
                          Map<String, Object> extra) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("scenario", scenario);
        root.put("time", Instant.now().toString());
        root.set("settings", mapper.valueToTree(new TreeMap<>(settings)));
        ArrayNode array = root.putArray("results");
        results.forEach(r -> array.add(r.json(mapper)));
        extra.forEach((key, value) -> root.set(key, mapper.valueToTree(value)));
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        mapper.writeValue(file.toFile(), root);
    }

    /** Collects one run's measurements from many threads. */
    static final class Recorder {
        private final String name;
        private final LoadPlan plan;
        private final Histogram latencies;
        private final Map<String, Long> errors = new TreeMap<>();
        private long count;
        private long late;

        /** {@code digits}: the histogram's significant digits (its memory grows tenfold with each). */
        Recorder(String name, LoadPlan plan, int digits) {
            this.name = name;
            this.plan = plan;
            this.latencies = new Histogram(MAX_MICROS, digits);
        }

        synchronized void answered(int status, long nanos, long expectedIntervalMicros) {
            count++;
            if (status < 200 || status > 299) {
                errors.merge(Integer.toString(status), 1L, Long::sum);
            }
            long micros = Math.min(MAX_MICROS, Math.max(0, nanos / 1000));
            if (expectedIntervalMicros > 0) {
                latencies.recordValueWithExpectedInterval(micros, expectedIntervalMicros);
            } else {
                latencies.recordValue(micros);
            }
        }

        synchronized void failed(String reason) {
            count++;
            errors.merge(reason, 1L, Long::sum);
        }

        synchronized void late() {
            late++;
        }

        synchronized LoadResult result(double seconds) {
            return new LoadResult(name, plan, seconds, count, late,
                    java.util.Collections.unmodifiableMap(new TreeMap<>(errors)), latencies.copy());
        }
    }
}
