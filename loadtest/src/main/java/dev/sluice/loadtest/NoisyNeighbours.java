package dev.sluice.loadtest;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.Sluice;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What noisy neighbours cost a well-behaved tenant: the latency of its sequential {@code hello} calls alone, then
 * beside two hostile tenants that keep every worker they may busy (two tenants of {@code poll_oneoff} sleepers, two
 * of busy loops, one of each), each with more callers than it may run so a backlog queues behind them, and alone
 * again at the end (the first phase also warms the server up).
 *
 * <p>{@code NoisyNeighbours [--calls N] [--warmup N] [--seconds S] [--hostile-callers N] [--hostile-timeout-ms MS]
 * [--url http://127.0.0.1:PORT --admin-token T]}. Each phase makes {@code --calls} calls or runs {@code --seconds},
 * whichever ends first (after a warm-up of at most {@code --warmup} calls or a third of that time), and reports
 * p50/p99 and how many calls failed (any status but 200). Without {@code --url} it starts its own Sluice with the
 * default settings in a temporary directory. Only loopback targets are accepted; the tenants it creates are deleted
 * at the end, and every phase waits for the hostile calls to end before the next.
 */
public final class NoisyNeighbours {
    private static final Pattern KEY = Pattern.compile("\"key\"\\s*:\\s*\"([^\"]+)\"");
    private static final long HOSTILE_FUEL = 1_000_000_000_000L;

    private final URI base;
    private final String adminToken;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String run = Long.toHexString(System.nanoTime());
    private final List<String> tenants = new ArrayList<>();

    NoisyNeighbours(URI base, String adminToken) throws IOException {
        SequentialLatency.requireLoopback(base);
        this.base = base;
        this.adminToken = adminToken;
    }

    /** One phase's outcome: the victim's latencies, its failed calls and the hostile tenants' answers by status. */
    record Phase(String name, Percentiles victim, int failed, Map<Integer, Integer> hostileAnswers) {
        String summary() {
            return String.format("%-28s %s failed=%d hostile answers=%s", name + ":",
                    victim.count() == 0 ? "no call answered" : victim.summary(), failed, new TreeMap<>(hostileAnswers));
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "calls", "warmup", "seconds", "hostile-callers",
                "hostile-timeout-ms", "url", "admin-token");
        int calls = Integer.parseInt(options.getOrDefault("calls", "1000"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "1000"));
        int seconds = Math.min(60, Integer.parseInt(options.getOrDefault("seconds", "15")));
        int callers = Integer.parseInt(options.getOrDefault("hostile-callers",
                Integer.toString(Runtime.getRuntime().availableProcessors() + 6)));
        long hostileTimeout = Long.parseLong(options.getOrDefault("hostile-timeout-ms", "5000"));
        Optional<String> url = Optional.ofNullable(options.get("url"));
        System.out.printf("victim: sequential hello, %d warm-up + up to %d calls or %d s per phase; hostile tenants:"
                        + " %d callers each, timeout %d ms; %d CPUs on this side%n", warmup, calls, seconds, callers,
                hostileTimeout, Runtime.getRuntime().availableProcessors());
        if (url.isPresent()) {
            String token = Optional.ofNullable(options.get("admin-token"))
                    .orElseThrow(() -> new IllegalArgumentException("--url needs --admin-token"));
            print(new NoisyNeighbours(URI.create(url.get()), token).phases(calls, warmup, seconds, callers,
                    hostileTimeout));
            return;
        }
        Path dir = Files.createTempDirectory("sluice-noisy");
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dir.toString()));
        try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of("noisy-admin")).start()) {
            System.out.printf("in-process Sluice, default settings: workers=%d tenant-max-concurrency=%d%n",
                    config.workers(), config.effectiveTenantMaxConcurrency());
            print(new NoisyNeighbours(URI.create("http://127.0.0.1:" + sluice.port()), "noisy-admin")
                    .phases(calls, warmup, seconds, callers, hostileTimeout));
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void print(List<Phase> phases) {
        phases.forEach(phase -> System.out.println(phase.summary()));
    }

    /** Alone, then beside each pair of hostile tenants; the tenants it made are deleted afterwards. */
    List<Phase> phases(int calls, int warmup, int seconds, int callers, long hostileTimeoutMs)
            throws IOException, InterruptedException {
        try {
            String victim = tenant("victim", "{\"requests-per-second\": 1000000, \"burst\": 1000000}");
            deploy(victim, "hello", "");
            List<Phase> phases = new ArrayList<>();
            phases.add(phase("alone", victim, List.of(), calls, warmup, seconds, callers));
            String hostileLimits = "{\"requests-per-second\": 1000000, \"burst\": 1000000, \"max-fuel-per-call\": "
                    + HOSTILE_FUEL + "}";
            String query = "?timeout-ms=" + hostileTimeoutMs + "&fuel=" + HOSTILE_FUEL;
            List<String> sleepers = new ArrayList<>();
            List<String> loops = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String sleeper = tenant("sleepers-" + i, hostileLimits);
                deploy(sleeper, "sleep-forever", query);
                sleepers.add(sleeper);
                String loop = tenant("loops-" + i, hostileLimits);
                deploy(loop, "infinite-loop", query);
                loops.add(loop);
            }
            List<Hostile> twoSleepers = List.of(new Hostile(sleepers.get(0), "sleep-forever"),
                    new Hostile(sleepers.get(1), "sleep-forever"));
            List<Hostile> twoLoops = List.of(new Hostile(loops.get(0), "infinite-loop"),
                    new Hostile(loops.get(1), "infinite-loop"));
            List<Hostile> oneOfEach = List.of(new Hostile(sleepers.get(0), "sleep-forever"),
                    new Hostile(loops.get(0), "infinite-loop"));
            phases.add(phase("beside 2 sleeper tenants", victim, twoSleepers, calls, warmup / 4, seconds, callers));
            phases.add(phase("beside 2 loop tenants", victim, twoLoops, calls, warmup / 4, seconds, callers));
            phases.add(phase("beside sleepers + loops", victim, oneOfEach, calls, warmup / 4, seconds, callers));
            // Alone again: the first phase also warms the server up, so it is no fair baseline by itself.
            phases.add(phase("alone, after", victim, List.of(), calls, warmup / 4, seconds, callers));
            return phases;
        } finally {
            for (String tenant : tenants) {
                http.send(admin("/admin/v1/tenants/" + tenant).DELETE().build(),
                        HttpResponse.BodyHandlers.discarding());
            }
        }
    }

    private record Hostile(String key, String function) {}

    private Phase phase(String name, String victim, List<Hostile> hostiles, int calls, int warmup, int seconds,
                        int callers) throws InterruptedException, IOException {
        Map<Integer, Integer> answers = new ConcurrentHashMap<>();
        AtomicBoolean hostile = new AtomicBoolean(true);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<?>> flood = new ArrayList<>();
        for (Hostile h : hostiles) {
            HttpRequest invoke = invoke(h.key(), h.function(), "");
            for (int c = 0; c < callers; c++) {
                flood.add(pool.submit(() -> {
                    while (hostile.get()) {
                        answers.merge(http.send(invoke, HttpResponse.BodyHandlers.discarding()).statusCode(), 1,
                                Integer::sum);
                    }
                    return null;
                }));
            }
        }
        try {
            HttpRequest hello = invoke(victim, "hello", "?name=victim");
            int failed = 0;
            // Bounded in time too: beside hostile tenants of a badly shared pool each call may wait its timeout.
            long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds) / 3;
            for (int i = 0; i < warmup && System.nanoTime() < warm; i++) {
                http.send(hello, HttpResponse.BodyHandlers.discarding());
            }
            Percentiles latencies = new Percentiles(calls);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (int i = 0; i < calls && System.nanoTime() < end; i++) {
                long started = System.nanoTime();
                int status = http.send(hello, HttpResponse.BodyHandlers.discarding()).statusCode();
                latencies.add(System.nanoTime() - started);
                if (status != 200) {
                    failed++;
                }
            }
            return new Phase(name, latencies, failed, answers);
        } finally {
            // The hostile callers finish their call in flight (at most the hostile timeout plus its wait) and stop.
            hostile.set(false);
            pool.shutdown();
            if (!pool.awaitTermination(2, TimeUnit.MINUTES)) {
                pool.shutdownNow();
            }
        }
    }

    private String tenant(String role, String limits) throws IOException, InterruptedException {
        String tenant = "noisy-" + role + "-" + run;
        ExpectStatus.send(http, admin("/admin/v1/tenants/" + tenant).PUT(HttpRequest.BodyPublishers.ofString(limits)),
                201);
        tenants.add(tenant);
        String created = ExpectStatus.send(http, admin("/admin/v1/tenants/" + tenant + "/keys")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"noisy\"}")), 201);
        Matcher matcher = KEY.matcher(created);
        if (!matcher.find()) {
            throw new IllegalStateException("no key in " + created);
        }
        return matcher.group(1);
    }

    private void deploy(String key, String fixture, String query) throws IOException, InterruptedException {
        ExpectStatus.send(http, HttpRequest.newBuilder(base.resolve("/v1/functions/" + fixture + query))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/wasm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(TestModules.load(fixture))), 201);
    }

    private HttpRequest invoke(String key, String function, String query) {
        return HttpRequest.newBuilder(base.resolve("/v1/functions/" + function + "/invoke" + query))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
    }

    private HttpRequest.Builder admin(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + adminToken)
                .header("Content-Type", "application/json");
    }
}
