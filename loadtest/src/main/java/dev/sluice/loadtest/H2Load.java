package dev.sluice.loadtest;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * nghttp2's {@code h2load} (Debian package {@code nghttp2-client}) run against the same URL as this tool, for a
 * cross-check. It sends {@code --rps} requests per second on each of {@code -c} connections, {@code -n} in all, and
 * writes one line per request to {@code --log-file} (start time, status, microseconds until the end of the response),
 * which this class reads into a {@link LoadResult} so both tools print in one table.
 *
 * <p>The figures differ in meaning. h2load times a request from when it actually sent it: a request its rate timer
 * wanted out while its connection was busy (HTTP/1.1, one request at a time per connection) waits and goes out
 * later, timed from then, so a stall shows as one slow request and the requests due during it catch up afterwards
 * with ordinary latencies (coordinated omission, not corrected). {@link LoadGenerator} times every request from its
 * intended time. h2load's connections fire their timers together, so with {@code -c 10} requests arrive in bursts
 * of 10. h2load's own summary reports min, max, mean and standard deviation only; the percentiles here come from its
 * log. The {@code late} column does not apply to h2load (0).
 */
final class H2Load {
    private H2Load() {}

    /** {@code h2load} on the PATH, if there is one. */
    static Optional<Path> find() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "h2load");
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** What one h2load run printed (its summary) and its requests as a {@link LoadResult}. */
    record Run(LoadResult result, List<String> summary, List<String> command) {}

    /**
     * Runs {@code h2load --h1} (HTTP/1.1, what Sluice's public port serves) against {@code url} at {@code rate}
     * requests per second in all, spread over {@code clients} connections ({@code rate} must be a multiple of
     * {@code clients}: h2load's rate is per connection), {@code rate × duration} requests. Each request carries
     * {@code headers} ("name: value"). Stops h2load if it runs 30 s past its duration. Its per-request log is copied
     * to {@code keepLog} if present (it holds no header).
     */
    static Run run(String name, URI url, List<String> headers, long rate, int clients, Duration duration,
                   Optional<Path> keepLog) throws IOException, InterruptedException {
        SequentialLatency.requireLoopback(url);
        if (clients < 1 || clients > 10_000 || rate < clients || rate % clients != 0) {
            throw new IllegalArgumentException("rate: " + rate + " (expected: a multiple of h2load-clients, "
                    + clients + ")");
        }
        Path h2load = find().orElseThrow(() -> new IllegalStateException(
                "h2load not found on the PATH (Debian: apt-get install nghttp2-client)"));
        long total = Math.max(clients, Math.round(rate * duration.toMillis() / 1000.0));
        Path dir = Files.createTempDirectory("h2load");
        try {
            Path log = dir.resolve("requests.tsv");
            List<String> command = new ArrayList<>(List.of(h2load.toString(), "--h1", "-c", Integer.toString(clients),
                    "--rps=" + rate / clients, "-n", Long.toString(total)));
            for (String header : headers) {
                command.addAll(List.of("-H", header));
            }
            command.addAll(List.of("--log-file=" + log, url.toString()));
            Path out = dir.resolve("out");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                    .start();
            if (!process.waitFor(duration.toSeconds() + 30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new IllegalStateException("h2load did not finish in " + duration.toSeconds() + " s + 30 s");
            }
            List<String> printed = Files.readAllLines(out);
            if (process.exitValue() != 0 || !Files.exists(log)) {
                throw new IllegalStateException("h2load failed (" + process.exitValue() + "): "
                        + String.join("\n", printed));
            }
            List<String> summary = printed.stream().filter(line -> line.startsWith("finished in")
                    || line.startsWith("requests:") || line.startsWith("status codes:")
                    || line.startsWith("time for request:") || line.startsWith("req/s")
                    || line.strip().startsWith("min ")).map(String::strip).toList();
            List<String> redacted = command.stream().map(arg -> arg.toLowerCase().startsWith("authorization:")
                    ? "authorization: Bearer …" : arg).toList();
            if (keepLog.isPresent()) {
                Path parent = keepLog.get().toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.copy(log, keepLog.get(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            return new Run(parse(name, rate, clients, duration, total, Files.readAllLines(log)), summary, redacted);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Reads h2load's log lines ({@code start-µs <TAB> status <TAB> duration-µs}) into a result over the span from
     * the first start to the last end: a status outside 2xx is an error under its number (h2load writes -1 for a
     * request that got no response), and requests of the {@code total} that have no line at all (never sent, or
     * their connection failed) are errors {@code "no-log-line"}.
     */
    static LoadResult parse(String name, long rate, int clients, Duration duration, long total, List<String> lines) {
        Histogram latencies = new Histogram(LoadResult.MAX_MICROS, 3);
        Map<String, Long> errors = new TreeMap<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long count = 0;
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] columns = line.strip().split("\t");
            if (columns.length < 3) {
                throw new IllegalArgumentException("h2load log line: '" + line + "' (expected: start, status, µs)");
            }
            long start = Long.parseLong(columns[0]);
            int status = Integer.parseInt(columns[1]);
            long micros = Long.parseLong(columns[2]);
            count++;
            first = Math.min(first, start);
            last = Math.max(last, start + micros);
            if (status < 200 || status > 299) {
                errors.merge(Integer.toString(status), 1L, Long::sum);
            }
            if (status > 0) {
                latencies.recordValue(Math.min(LoadResult.MAX_MICROS, Math.max(0, micros)));
            }
        }
        if (count < total) {
            errors.put("no-log-line", total - count);
            count = total;
        }
        double seconds = first == Long.MAX_VALUE ? duration.toMillis() / 1000.0 : Math.max(1, last - first) / 1e6;
        return new LoadResult(name, LoadPlan.open(rate, clients, Duration.ZERO, duration), seconds, count, 0,
                Collections.unmodifiableMap(errors), latencies);
    }
}
