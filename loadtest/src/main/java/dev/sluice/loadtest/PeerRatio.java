package dev.sluice.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.ToDoubleFunction;

/**
 * Sluice against its peers in one run on one machine, so that the ratios hold on a noisy machine: a
 * {@code sluice serve} process with default settings ({@link RoleProcess}, a tenant and the scenario's function made
 * through its API by {@link BenchTenant}), a bare Helidon server ({@link BareHello}), and, running the same WASI
 * modules WAGI-style with a fresh instance per request, workerd and Node.js ({@link ScriptPeer}). Each peer is a
 * process of its own (the JVMs started with the same options: none, as {@code ./sluice serve}, plus
 * {@code $SLUICE_BENCH_JVM_OPTS}, e.g. to record JFR), driven in interleaved rounds (Sluice, bare, workerd, Sluice,
 * bare, workerd, ...) of closed-loop load from this JVM's {@link LoadGenerator}, the same generator for every peer.
 *
 * <ul>
 *   <li>{@code hello}: Sluice {@code GET /v1/functions/hello/invoke} (body {@code "hello \n"}), bare
 *       {@code GET /hello} ({@code "hello\n"}), workerd and Node {@code GET /hello} (the same module as Sluice's,
 *       {@code "hello \n"}).</li>
 *   <li>{@code echo}: a random 1 KiB body, Sluice {@code POST /v1/functions/echo/invoke}, the others
 *       {@code POST /echo}; all answer the same bytes.</li>
 *   <li>{@code fib}: CPU-bound, naive recursive fib(28) from {@code examples/c/fib.c} ({@code "317811\n"}), Sluice
 *       with fuel metering (always on) and a budget of {@value #FIB_FUEL} fuel and {@value #FIB_TIMEOUT_MS} ms
 *       (the default tenant's maxima) against workerd and Node; bare Helidon has no fib.</li>
 * </ul>
 *
 * <p>{@code --peers} lists the peers, Sluice among them; by default Sluice and bare (for {@code fib}: Node where
 * {@code node} is on the PATH), plus workerd where it is installed ({@link ScriptPeer#workerdBinary()}). Every first
 * answer must be the expected status and body, or the run stops.
 *
 * <p>Before the first round each server gets one longer warm-up ({@code --initial-warmup}, not recorded: Sluice's JIT
 * needs more than a few seconds, and a cold first round would skew the median). Each round is a warm-up (not
 * recorded) then the measured window; a server's CPU per request is the user plus system CPU time its process used
 * over the measured window (from the OS: {@code /proc/PID/stat}) divided by the requests answered in it. Reported per
 * round and as medians over the rounds, with the ratios of Sluice over each peer. With {@code --clients 1} the p50
 * is the sequential latency of one call.
 *
 * <p>{@code PeerRatio [--scenario hello|echo|fib] [--peers sluice,bare,workerd,node] [--clients N] [--rounds N]
 * [--duration S] [--warmup S] [--json FILE] [--initial-warmup S] [--keep true]}: seconds at most 600 each, rounds
 * 1..20. Everything it starts is stopped and its temporary directory removed (kept, with every server's log, with
 * {@code --keep true}).
 */
public final class PeerRatio {
    static final String SLUICE = "sluice";
    static final String BARE = "bare";
    static final List<String> SCENARIOS = List.of("hello", "echo", "fib");
    static final List<String> PEERS = List.of(SLUICE, BARE, ScriptPeer.WORKERD, ScriptPeer.NODE);
    static final long FIB_FUEL = 1_000_000_000L;
    static final long FIB_TIMEOUT_MS = 10_000;
    static final String FIB_BODY = "317811\n";

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
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("req-per-s", throughput);
            node.put("p50-ms", p50);
            node.put("p99-ms", p99);
            node.put("cpu-us-per-request", cpuMicros);
            return node;
        }
    }

    /** A whole run: its peers, every round in the order run, and what each peer answered before the rounds. */
    record Run(String scenario, List<String> peers, List<Round> rounds, Map<String, String> firstAnswers) {
        List<Round> of(String server) {
            return rounds.stream().filter(r -> r.server().equals(server)).toList();
        }

        Medians medians(String server) {
            return Medians.of(of(server));
        }

        /** The peers other than Sluice, each with Sluice's medians over its own. */
        Map<String, Medians> ratios() {
            Map<String, Medians> ratios = new LinkedHashMap<>();
            peers.stream().filter(p -> !p.equals(SLUICE)).forEach(p -> ratios.put(p, medians(SLUICE).over(medians(p))));
            return ratios;
        }

        /** The result file's entries beside the rounds' load figures. */
        Map<String, Object> json() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("peers", peers);
            json.put("first-answers", firstAnswers);
            json.put("rounds", rounds.stream().map(Round::json).toList());
            Map<String, Object> medians = new LinkedHashMap<>();
            peers.forEach(p -> medians.put(p, medians(p).json()));
            json.put("medians", medians);
            Map<String, Object> ratios = new LinkedHashMap<>();
            ratios().forEach((peer, ratio) -> ratios.put(SLUICE + "/" + peer, ratio.json()));
            json.put("ratios", ratios);
            return json;
        }
    }

    /** One running peer as the rounds see it: where to send the scenario's request, and its CPU clock. */
    private record Server(String name, HttpRequest call, DoubleSupplier cpuSeconds) {}

    /**
     * The peers to run: {@code option} (comma-separated) when given, else the default for {@code scenario} with the
     * engines found; validated (known names, no repeats, Sluice among them, no bare for fib, each engine installed).
     */
    static List<String> peers(String option, String scenario, boolean workerdFound, boolean nodeFound) {
        if (!SCENARIOS.contains(scenario)) {
            throw new IllegalArgumentException("scenario: " + scenario + " (expected: one of " + SCENARIOS + ")");
        }
        List<String> peers = new ArrayList<>();
        if (option == null) {
            peers.add(SLUICE);
            if (scenario.equals("fib")) {
                if (nodeFound) {
                    peers.add(ScriptPeer.NODE);
                }
            } else {
                peers.add(BARE);
            }
            if (workerdFound) {
                peers.add(ScriptPeer.WORKERD);
            }
            return List.copyOf(peers);
        }
        for (String peer : option.split(",")) {
            String name = peer.strip();
            if (!PEERS.contains(name) || peers.contains(name)) {
                throw new IllegalArgumentException("peers: " + option + " (expected: distinct names of " + PEERS + ")");
            }
            if (name.equals(BARE) && scenario.equals("fib")) {
                throw new IllegalArgumentException("peers: " + option + " (expected for fib: no bare, which has no fib)");
            }
            if (name.equals(ScriptPeer.WORKERD) && !workerdFound) {
                throw new IllegalArgumentException("peers: " + option + " (workerd not found: npm install --prefix "
                        + "~/.cache/sluice-peers " + ScriptPeer.WORKERD_PACKAGE + ", or set SLUICE_WORKERD)");
            }
            if (name.equals(ScriptPeer.NODE) && !nodeFound) {
                throw new IllegalArgumentException("peers: " + option + " (node not found on the PATH)");
            }
            peers.add(name);
        }
        if (!peers.contains(SLUICE)) {
            throw new IllegalArgumentException("peers: " + option + " (expected: sluice among them)");
        }
        return List.copyOf(peers);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "scenario", "peers", "clients", "rounds", "duration",
                "warmup", "json", "keep", "initial-warmup");
        String scenario = options.getOrDefault("scenario", "hello");
        List<String> peers = peers(options.get("peers"), scenario, ScriptPeer.workerdBinary().isPresent(),
                ScriptPeer.nodeBinary().isPresent());
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
            run = run(dir, scenario, peers, clients, rounds, initialWarmup, warmup, duration);
        } finally {
            if (keep) {
                System.out.println("configurations and logs kept in " + dir);
            } else {
                delete(dir);
            }
        }
        String loadAfter = loadAverage();
        System.out.printf("%nPeerRatio %s: sluice serve (default settings) against %s, each its own process%s;"
                        + " %d closed-loop clients, %s s initial warm-up per server, then %d rounds of %s s warm-up"
                        + " + %s s measured per server;"
                        + " %d CPUs; load average %s before, %s after%n%n", scenario,
                String.join(", ", peers.stream().filter(peer -> !peer.equals(SLUICE)).toList()).replace(BARE, "bare Helidon"),
                RoleProcess.benchJvmOptions().isEmpty() ? "" : " with " + RoleProcess.benchJvmOptions(), clients,
                initialWarmup.toMillis() / 1000.0, rounds, warmup.toMillis() / 1000.0, duration.toMillis() / 1000.0,
                Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter);
        System.out.print(table(run));
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("clients", clients, "rounds", rounds,
                "initial-warmup-seconds", initialWarmup.toMillis() / 1000.0,
                "warmup-seconds", warmup.toMillis() / 1000.0, "duration-seconds", duration.toMillis() / 1000.0,
                "server-jvm-options", String.join(" ", RoleProcess.benchJvmOptions())));
        Map<String, Object> extra = run.json();
        extra.put("load-average", Map.of("before", loadBefore, "after", loadAfter));
        extra.put("cpus", Runtime.getRuntime().availableProcessors());
        LoadResult.writeJson(json, "peer-ratio-" + scenario, settings,
                run.rounds().stream().map(Round::load).toList(), extra);
        System.out.println("\nresults: " + json.toAbsolutePath());
    }

    /**
     * Starts {@code peers} in {@code dir}, checks that each answers the scenario's request as expected, runs the
     * rounds and stops them all.
     */
    static Run run(Path dir, String scenario, List<String> peers, int clients, int rounds, Duration initialWarmup,
                   Duration warmup, Duration duration) throws Exception {
        peers(String.join(",", peers), scenario, ScriptPeer.workerdBinary().isPresent(),
                ScriptPeer.nodeBinary().isPresent());
        if (rounds < 1 || rounds > 20) {
            throw new IllegalArgumentException("rounds: " + rounds + " (expected: 1..20)");
        }
        LoadPlan warm = warmup.isZero() ? null : LoadPlan.closed(clients, 0, Duration.ZERO, warmup);
        LoadPlan measured = LoadPlan.closed(clients, 0, Duration.ZERO, duration);
        HttpClient http = LoadGenerator.client();
        LoadGenerator generator = new LoadGenerator(http, Duration.ofSeconds(11));
        byte[] body = new byte[1024];
        new SecureRandom().nextBytes(body);
        Deque<AutoCloseable> started = new ArrayDeque<>();
        try {
            // All start at once (each its own process), then each is awaited and set up in turn.
            Map<String, Object> processes = new LinkedHashMap<>();
            for (String peer : peers) {
                int port = RoleProcess.freePort();
                Path home = dir.resolve(peer);
                AutoCloseable process = switch (peer) {
                    case SLUICE -> RoleProcess.launch(SLUICE, "serve", port, home,
                            Map.of("port", Integer.toString(port)), List.of());
                    case BARE -> RoleProcess.launchMain(BARE, BareHello.class.getName(),
                            List.of(Integer.toString(port)), port, home, List.of());
                    case ScriptPeer.WORKERD -> ScriptPeer.workerd(ScriptPeer.workerdBinary().orElseThrow(), port, home);
                    default -> ScriptPeer.node(ScriptPeer.nodeBinary().orElseThrow(), port, home);
                };
                started.push(process);
                processes.put(peer, process);
            }
            List<Server> servers = new ArrayList<>();
            Map<String, String> answers = new LinkedHashMap<>();
            for (String peer : peers) {
                Server server = switch (processes.get(peer)) {
                    case RoleProcess sluice when peer.equals(SLUICE) -> {
                        sluice.awaitReady(true, Duration.ofSeconds(120));
                        BenchTenant tenant = BenchTenant.create(http, sluice.uri(), RoleProcess.ADMIN_TOKEN, "peer");
                        started.push(tenant);
                        if (scenario.equals("fib")) {
                            ExpectStatus.send(http, HttpRequest.newBuilder(sluice.uri().resolve("/v1/functions/fib"
                                    + "?fuel=" + FIB_FUEL + "&timeout-ms=" + FIB_TIMEOUT_MS))
                                    .header("Authorization", "Bearer " + tenant.key)
                                    .header("Content-Type", "application/wasm")
                                    .PUT(HttpRequest.BodyPublishers.ofByteArray(ScriptPeer.fibModule())), 201);
                        } else {
                            tenant.deploy(sluice.uri(), scenario);
                        }
                        yield new Server(peer, request(sluice.uri().resolve("/v1/functions/" + scenario + "/invoke"),
                                scenario, body).header("Authorization", "Bearer " + tenant.key).build(),
                                sluice::cpuSeconds);
                    }
                    case RoleProcess bare -> {
                        bare.awaitReady(false, Duration.ofSeconds(120));
                        yield new Server(peer, request(bare.uri().resolve("/" + scenario), scenario, body).build(),
                                bare::cpuSeconds);
                    }
                    case ScriptPeer script -> {
                        script.awaitReady(Duration.ofSeconds(60));
                        yield new Server(peer, request(script.uri().resolve("/" + scenario), scenario, body).build(),
                                script::cpuSeconds);
                    }
                    default -> throw new IllegalStateException(peer);
                };
                answers.put(peer, check(http, server.call(), expected(peer, scenario, body)));
                servers.add(server);
            }
            if (!initialWarmup.isZero()) {
                LoadPlan initial = LoadPlan.closed(clients, 0, Duration.ZERO, initialWarmup);
                for (Server server : servers) {
                    generator.run(server.name() + " initial warm-up", initial, server.call());
                }
            }
            List<Round> done = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                for (Server server : servers) {
                    done.add(round(generator, server, round, warm, measured));
                }
            }
            return new Run(scenario, List.copyOf(peers), List.copyOf(done), answers);
        } finally {
            closeAll(started);
        }
    }

    /** Closes each in turn, last started first, even when one fails; rethrows the first failure. */
    private static void closeAll(Deque<AutoCloseable> started) throws Exception {
        Exception first = null;
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** The body {@code peer} must answer for {@code scenario}: the same for all but bare Helidon's hello. */
    static byte[] expected(String peer, String scenario, byte[] echoBody) {
        return switch (scenario) {
            case "hello" -> (peer.equals(BARE) ? "hello\n" : "hello \n").getBytes(StandardCharsets.US_ASCII);
            case "echo" -> echoBody;
            default -> FIB_BODY.getBytes(StandardCharsets.US_ASCII);
        };
    }

    private static HttpRequest.Builder request(URI uri, String scenario, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
        return !scenario.equals("echo") ? request.GET()
                : request.header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    /**
     * Sends {@code call} once; fails unless it is answered 200 with exactly {@code expected}; returns a description
     * (status, length, the body when short text, and Sluice's fuel used when it says).
     */
    private static String check(HttpClient http, HttpRequest call, byte[] expected)
            throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(call, HttpResponse.BodyHandlers.ofByteArray());
        String description = response.statusCode() + ", " + response.body().length + " bytes"
                + (response.body().length <= 64 ? " " + new String(response.body(), StandardCharsets.UTF_8)
                        .replace("\n", "\\n") : "")
                + response.headers().firstValue("Sluice-Fuel-Used").map(fuel -> ", fuel " + fuel).orElse("");
        if (response.statusCode() != 200 || !Arrays.equals(expected, response.body())) {
            throw new IllegalStateException(call.uri() + " answered " + description);
        }
        return description;
    }

    private static Round round(LoadGenerator generator, Server server, int round, LoadPlan warm, LoadPlan measured)
            throws InterruptedException {
        if (warm != null) {
            generator.run(server.name() + " warm-up", warm, server.call());
        }
        double before = server.cpuSeconds().getAsDouble();
        LoadResult load = generator.run(server.name() + " round " + round, measured, server.call());
        return new Round(server.name(), round, load, server.cpuSeconds().getAsDouble() - before);
    }

    static String table(Run run) {
        StringBuilder out = new StringBuilder(String.format("| %-7s | %5s | %8s | %6s | %9s | %8s | %8s | %14s |%n",
                "server", "round", "count", "errors", "req/s", "p50 ms", "p99 ms", "CPU µs/request"));
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Round r : run.rounds()) {
            out.append(String.format("| %-7s | %5d | %8d | %6d | %9.1f | %8.2f | %8.2f | %14.1f |%n", r.server(),
                    r.round(), r.load().count(), r.load().errorCount(), r.load().throughput(), r.load().millis(50),
                    r.load().millis(99), r.cpuMicrosPerRequest()));
        }
        out.append(String.format("%n| %-22s | %9s | %8s | %8s | %14s |%n", "median", "req/s", "p50 ms", "p99 ms",
                "CPU µs/request"));
        out.append("|---|---:|---:|---:|---:|\n");
        for (String server : run.peers()) {
            Medians m = run.medians(server);
            out.append(String.format("| %-22s | %9.1f | %8.2f | %8.2f | %14.1f |%n", server, m.throughput(), m.p50(),
                    m.p99(), m.cpuMicros()));
        }
        run.ratios().forEach((peer, ratio) -> out.append(String.format("| %-22s | %9.3f | %8.2f | %8.2f | %14.2f |%n",
                "ratio sluice / " + peer, ratio.throughput(), ratio.p50(), ratio.p99(), ratio.cpuMicros())));
        Medians sluice = run.medians(SLUICE);
        out.append(String.format("%nsluice p99 / p50: %.2f%n", sluice.p99() / sluice.p50()));
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
