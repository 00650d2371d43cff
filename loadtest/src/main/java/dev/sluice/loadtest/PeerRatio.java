package dev.sluice.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Sluice against a bare Helidon server in one run on one machine, so that the ratio holds on a noisy machine: a
 * {@code sluice serve} process with default settings ({@link RoleProcess}, a tenant and the scenario's function made
 * through its API by {@link BenchTenant}) and a {@link BareHello} process, each a JVM of its own started with the same
 * options (none, as {@code ./sluice serve}, plus {@code $SLUICE_BENCH_JVM_OPTS}, e.g. to record JFR), driven in
 * interleaved rounds (Sluice, bare, Sluice, bare, ...) of closed-loop load from this JVM's {@link LoadGenerator}.
 *
 * <ul>
 *   <li>{@code hello}: Sluice {@code GET /v1/functions/hello/invoke} (body {@code "hello \n"}), bare
 *       {@code GET /hello} ({@code "hello\n"}).</li>
 *   <li>{@code echo}: a random 1 KiB body, Sluice {@code POST /v1/functions/echo/invoke}, bare {@code POST /echo};
 *       both answer the same bytes.</li>
 * </ul>
 *
 * <p>Before the first round each server gets one longer warm-up ({@code --initial-warmup}, not recorded: Sluice's JIT
 * needs more than a few seconds, and a cold first round would skew the median). Each round is a warm-up (not
 * recorded) then the measured window; a server's CPU per request is the user plus
 * system CPU time its process used over the measured window (from the OS) divided by the requests answered in it.
 * Reported per round and as medians over the rounds, with the ratios Sluice / bare.
 *
 * <p>{@code PeerRatio [--scenario hello|echo] [--clients N] [--rounds N] [--duration S] [--warmup S] [--json FILE]
 * [--initial-warmup S] [--keep true]}: seconds at most 600 each, rounds 1..20. Everything it starts is stopped and its temporary directory
 * removed (kept, with both servers' logs, with {@code --keep true}).
 */
public final class PeerRatio {
    static final String SLUICE = "sluice";
    static final String BARE = "bare";

    private PeerRatio() {}

    /** One server's measured window in one round: the load's figures and the server's CPU seconds over it. */
    record Round(String server, int round, LoadResult load, double cpuSeconds) {
        double cpuMicrosPerRequest() {
            long answered = load.count() - load.errorCount();
            return answered == 0 ? Double.NaN : cpuSeconds * 1e6 / answered;
        }

        Map<String, Object> json() {
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("server", server);
            node.put("round", round);
            node.put("count", load.count());
            node.put("errors", load.errorCount());
            node.put("req-per-s", load.throughput());
            node.put("p50-ms", load.millis(50));
            node.put("p99-ms", load.millis(99));
            node.put("cpu-seconds", cpuSeconds);
            node.put("cpu-us-per-request", cpuMicrosPerRequest());
            return node;
        }
    }

    /** The medians of one server's rounds. */
    record Medians(double throughput, double p50, double p99, double cpuMicros) {
        static Medians of(List<Round> rounds) {
            return new Medians(median(rounds, r -> r.load().throughput()), median(rounds, r -> r.load().millis(50)),
                    median(rounds, r -> r.load().millis(99)), median(rounds, Round::cpuMicrosPerRequest));
        }

        Medians over(Medians other) {
            return new Medians(throughput / other.throughput, p50 / other.p50, p99 / other.p99,
                    cpuMicros / other.cpuMicros);
        }

        Map<String, Object> json() {
            return Map.of("req-per-s", throughput, "p50-ms", p50, "p99-ms", p99, "cpu-us-per-request", cpuMicros);
        }
    }

    /** A whole run: every round of both servers in the order run, and what each answered before the rounds. */
    record Run(String scenario, List<Round> rounds, Map<String, String> firstAnswers) {
        List<Round> of(String server) {
            return rounds.stream().filter(r -> r.server().equals(server)).toList();
        }

        Medians medians(String server) {
            return Medians.of(of(server));
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "scenario", "clients", "rounds", "duration", "warmup",
                "json", "keep", "initial-warmup");
        String scenario = options.getOrDefault("scenario", "hello");
        int clients = Integer.parseInt(options.getOrDefault("clients", "16"));
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
        Duration duration = seconds("duration", options.getOrDefault("duration", "20"));
        Duration warmup = seconds("warmup", options.getOrDefault("warmup", "5"));
        Duration initialWarmup = seconds("initial-warmup", options.getOrDefault("initial-warmup", "10"));
        boolean keep = Boolean.parseBoolean(options.getOrDefault("keep", "false"));
        Path json = Path.of(options.getOrDefault("json", "loadtest/target/peer-ratio-" + scenario + ".json"));
        String loadBefore = loadAverage();
        Path dir = Files.createTempDirectory("sluice-peer-ratio");
        Run run;
        try {
            run = run(dir, scenario, clients, rounds, initialWarmup, warmup, duration);
        } finally {
            if (keep) {
                System.out.println("configurations and logs kept in " + dir);
            } else {
                delete(dir);
            }
        }
        String loadAfter = loadAverage();
        System.out.printf("%nPeerRatio %s: sluice serve (default settings) against bare Helidon, each its own JVM%s;"
                        + " %d closed-loop clients, %s s initial warm-up per server, then %d rounds of %s s warm-up"
                        + " + %s s measured per server;"
                        + " %d CPUs; load average %s before, %s after%n%n", scenario,
                RoleProcess.benchJvmOptions().isEmpty() ? "" : " with " + RoleProcess.benchJvmOptions(), clients,
                initialWarmup.toMillis() / 1000.0, rounds, warmup.toMillis() / 1000.0, duration.toMillis() / 1000.0,
                Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter);
        System.out.print(table(run));
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("clients", clients, "rounds", rounds,
                "initial-warmup-seconds", initialWarmup.toMillis() / 1000.0,
                "warmup-seconds", warmup.toMillis() / 1000.0, "duration-seconds", duration.toMillis() / 1000.0,
                "server-jvm-options", String.join(" ", RoleProcess.benchJvmOptions())));
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("rounds", run.rounds().stream().map(Round::json).toList());
        extra.put("medians", Map.of(SLUICE, run.medians(SLUICE).json(), BARE, run.medians(BARE).json()));
        extra.put("ratios-sluice-over-bare", run.medians(SLUICE).over(run.medians(BARE)).json());
        extra.put("load-average", Map.of("before", loadBefore, "after", loadAfter));
        extra.put("cpus", Runtime.getRuntime().availableProcessors());
        LoadResult.writeJson(json, "peer-ratio-" + scenario, settings,
                run.rounds().stream().map(Round::load).toList(), extra);
        System.out.println("\nresults: " + json.toAbsolutePath());
    }

    /**
     * Starts both servers in {@code dir}, checks that each answers the scenario's request as expected, runs the
     * rounds and stops both.
     */
    static Run run(Path dir, String scenario, int clients, int rounds, Duration initialWarmup, Duration warmup,
                   Duration duration) throws Exception {
        if (!scenario.equals("hello") && !scenario.equals("echo")) {
            throw new IllegalArgumentException("scenario: " + scenario + " (expected: hello or echo)");
        }
        if (rounds < 1 || rounds > 20) {
            throw new IllegalArgumentException("rounds: " + rounds + " (expected: 1..20)");
        }
        LoadPlan warm = warmup.isZero() ? null : LoadPlan.closed(clients, 0, Duration.ZERO, warmup);
        LoadPlan measured = LoadPlan.closed(clients, 0, Duration.ZERO, duration);
        int sluicePort = RoleProcess.freePort();
        int barePort = RoleProcess.freePort();
        HttpClient http = LoadGenerator.client();
        LoadGenerator generator = new LoadGenerator(http, Duration.ofSeconds(11));
        try (RoleProcess sluice = RoleProcess.launch(SLUICE, "serve", sluicePort, dir.resolve(SLUICE),
                Map.of("port", Integer.toString(sluicePort)), List.of());
             RoleProcess bare = RoleProcess.launchMain(BARE, BareHello.class.getName(),
                     List.of(Integer.toString(barePort)), barePort, dir.resolve(BARE), List.of())) {
            sluice.awaitReady(true, Duration.ofSeconds(120));
            bare.awaitReady(false, Duration.ofSeconds(120));
            try (BenchTenant tenant = BenchTenant.create(http, sluice.uri(), RoleProcess.ADMIN_TOKEN, "peer")) {
                tenant.deploy(sluice.uri(), scenario);
                byte[] body = new byte[1024];
                new SecureRandom().nextBytes(body);
                HttpRequest sluiceCall = request(sluice.uri().resolve("/v1/functions/" + scenario + "/invoke"),
                        scenario, body).header("Authorization", "Bearer " + tenant.key).build();
                HttpRequest bareCall = request(bare.uri().resolve("/" + scenario), scenario, body).build();
                Map<String, String> answers = new LinkedHashMap<>();
                answers.put(SLUICE, check(http, sluiceCall, scenario, body));
                answers.put(BARE, check(http, bareCall, scenario, body));
                if (!initialWarmup.isZero()) {
                    LoadPlan initial = LoadPlan.closed(clients, 0, Duration.ZERO, initialWarmup);
                    generator.run(SLUICE + " initial warm-up", initial, sluiceCall);
                    generator.run(BARE + " initial warm-up", initial, bareCall);
                }
                List<Round> done = new ArrayList<>();
                for (int round = 1; round <= rounds; round++) {
                    done.add(round(generator, sluice, sluiceCall, round, warm, measured));
                    done.add(round(generator, bare, bareCall, round, warm, measured));
                }
                return new Run(scenario, List.copyOf(done), answers);
            }
        }
    }

    private static HttpRequest.Builder request(URI uri, String scenario, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
        return scenario.equals("hello") ? request.GET()
                : request.header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    /** Sends {@code call} once; fails unless it is answered 200 with the scenario's body; returns a description. */
    private static String check(HttpClient http, HttpRequest call, String scenario, byte[] body)
            throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(call, HttpResponse.BodyHandlers.ofByteArray());
        boolean expected = response.statusCode() == 200 && (scenario.equals("hello")
                ? new String(response.body(), java.nio.charset.StandardCharsets.UTF_8).startsWith("hello")
                : Arrays.equals(body, response.body()));
        String description = response.statusCode() + ", " + response.body().length + " bytes"
                + (scenario.equals("hello") ? " " + new String(response.body(),
                        java.nio.charset.StandardCharsets.UTF_8).replace("\n", "\\n") : "");
        if (!expected) {
            throw new IllegalStateException(call.uri() + " answered " + description);
        }
        return description;
    }

    private static Round round(LoadGenerator generator, RoleProcess server, HttpRequest call, int round,
                               LoadPlan warm, LoadPlan measured) throws InterruptedException {
        if (warm != null) {
            generator.run(server.name + " warm-up", warm, call);
        }
        double before = server.cpuSeconds();
        LoadResult load = generator.run(server.name + " round " + round, measured, call);
        return new Round(server.name, round, load, server.cpuSeconds() - before);
    }

    static String table(Run run) {
        StringBuilder out = new StringBuilder(String.format("| %-6s | %5s | %8s | %6s | %9s | %8s | %8s | %14s |%n",
                "server", "round", "count", "errors", "req/s", "p50 ms", "p99 ms", "CPU µs/request"));
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Round r : run.rounds()) {
            out.append(String.format("| %-6s | %5d | %8d | %6d | %9.1f | %8.2f | %8.2f | %14.1f |%n", r.server(),
                    r.round(), r.load().count(), r.load().errorCount(), r.load().throughput(), r.load().millis(50),
                    r.load().millis(99), r.cpuMicrosPerRequest()));
        }
        out.append(String.format("%n| %-22s | %9s | %8s | %8s | %14s |%n", "median", "req/s", "p50 ms", "p99 ms",
                "CPU µs/request"));
        out.append("|---|---:|---:|---:|---:|\n");
        for (String server : List.of(SLUICE, BARE)) {
            Medians m = run.medians(server);
            out.append(String.format("| %-22s | %9.1f | %8.2f | %8.2f | %14.1f |%n", server, m.throughput(), m.p50(),
                    m.p99(), m.cpuMicros()));
        }
        Medians ratio = run.medians(SLUICE).over(run.medians(BARE));
        out.append(String.format("| %-22s | %9.3f | %8.2f | %8.2f | %14.2f |%n", "ratio sluice / bare",
                ratio.throughput(), ratio.p50(), ratio.p99(), ratio.cpuMicros()));
        return out.toString();
    }

    private static double median(List<Round> rounds, ToDoubleFunction<Round> value) {
        double[] sorted = rounds.stream().mapToDouble(value).sorted().toArray();
        int n = sorted.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static Duration seconds(String name, String value) {
        double seconds = Double.parseDouble(value);
        if (!(seconds >= 0 && seconds <= 600)) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: 0..600 seconds)");
        }
        return Duration.ofMillis((long) (seconds * 1000));
    }

    /** The first three fields of {@code /proc/loadavg}, or "unknown" where there is none. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return String.join(" ", Arrays.copyOf(fields, 3));
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void delete(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
