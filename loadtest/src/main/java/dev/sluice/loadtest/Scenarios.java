package dev.sluice.loadtest;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.Sluice;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Load scenarios against a Sluice on loopback: {@code loadtest/run SCENARIO [options]}. Each scenario creates its
 * own tenants (no practical rate limit) and deploys its test modules through the admin and tenant APIs, and
 * deletes the tenants at the end. Without {@code --url} it starts an in-process Sluice with the default settings
 * on a free loopback port in a temporary directory.
 *
 * <ul>
 *   <li>{@code hello}: throughput and latency of {@code hello} ({@code GET .../invoke?name=bench}).</li>
 *   <li>{@code echo}: {@code echo} with a 1 KiB body, answered with the same 1 KiB.</li>
 *   <li>{@code cpu}: {@code spin}, two million steps of a 64-bit generator per call.</li>
 *   <li>{@code noisy}: a victim tenant's {@code hello} calls (always open loop at {@code --rate}) alone, then
 *       beside one and two flooding tenants, each running {@code --flood-clients} closed-loop clients of
 *       {@code --flood-function} ({@code spin} or {@code hello}) for the whole phase.</li>
 *   <li>{@code quota}: quota accuracy across gateways (see {@link #quota}); always in process.</li>
 * </ul>
 *
 * Options: {@code --mode open|closed} (default open), {@code --rate R} per second (open: the arrival rate, default
 * 200, cpu 20, noisy victim 50; closed: the target rate for coordinated-omission correction, default 0: none),
 * {@code --max-in-flight N} (open), {@code --clients N} (closed), {@code --warmup S}, {@code --duration S} (seconds;
 * at most 600 each), {@code --timeout-ms}, {@code --flood-clients N}, {@code --flood-function spin|hello},
 * {@code --json FILE} (default {@code loadtest/target/load-SCENARIO.json}), {@code --url http://127.0.0.1:PORT
 * --admin-token T}. Only loopback targets are accepted.
 */
public final class Scenarios {
    private static final List<String> NAMES = List.of("hello", "echo", "cpu", "noisy", "quota");
    private static final int GATEWAYS = 3;
    private static final Map<String, String> DEFAULTS = Map.ofEntries(Map.entry("mode", "open"),
            Map.entry("max-in-flight", "64"), Map.entry("clients", "8"), Map.entry("warmup", "3"),
            Map.entry("duration", "10"), Map.entry("timeout-ms", "10000"), Map.entry("flood-clients", "4"),
            Map.entry("flood-function", "spin"), Map.entry("quota", "300"));

    private final URI base;
    private final String adminToken;
    private final Map<String, String> options;
    private final HttpClient http = LoadGenerator.client();
    private final LoadGenerator generator;

    private Scenarios(URI base, String adminToken, Map<String, String> options) {
        this.base = base;
        this.adminToken = adminToken;
        this.options = options;
        this.generator = new LoadGenerator(http, Duration.ofMillis(timeoutMillis() + 1000));
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !NAMES.contains(args[0])) {
            throw new IllegalArgumentException("usage: loadtest/run SCENARIO [options], SCENARIO one of " + NAMES);
        }
        String scenario = args[0];
        Map<String, String> options = withDefaults(scenario, Options.parse(Arrays.copyOfRange(args, 1, args.length),
                "mode", "rate", "max-in-flight", "clients", "warmup", "duration", "timeout-ms", "json",
                "flood-clients", "flood-function", "quota", "url", "admin-token"));
        Path json = Path.of(options.getOrDefault("json", "loadtest/target/load-" + scenario + ".json"));
        options.remove("json");
        List<LoadResult> results;
        String target;
        Optional<String> url = Optional.ofNullable(options.remove("url"));
        if (scenario.equals("quota")) {
            if (url.isPresent()) {
                throw new IllegalArgumentException("quota starts its own gateways and Redis: no --url");
            }
            target = GATEWAYS + " in-process gateways sharing one Redis on loopback";
            options.put("warmup", "0");
            results = quota(options);
        } else if (url.isPresent()) {
            String token = Optional.ofNullable(options.remove("admin-token"))
                    .orElseThrow(() -> new IllegalArgumentException("--url needs --admin-token"));
            target = url.get();
            results = new Scenarios(URI.create(target), token, options).run(scenario);
        } else {
            Path dir = Files.createTempDirectory("sluice-load");
            String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dir.toString()));
            try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of(token)).start()) {
                target = String.format("in-process Sluice, default settings (workers=%d, tenant-max-concurrency=%d)",
                        config.workers(), config.effectiveTenantMaxConcurrency());
                results = new Scenarios(URI.create("http://127.0.0.1:" + sluice.port()), token, options)
                        .run(scenario);
            } finally {
                try (var files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        options.remove("admin-token");
        System.out.printf("%nscenario %s against %s; %d CPUs on this side; %s s warm-up (not recorded) + %s s "
                + "measured per run%n%n", scenario, target, Runtime.getRuntime().availableProcessors(),
                options.get("warmup"), options.get("duration"));
        System.out.print(LoadResult.table(results));
        if (scenario.equals("quota")) {
            long admitted = admitted(results);
            long quota = Long.parseLong(options.get("quota"));
            System.out.printf("%nadmitted %d of a quota of %d invocations per minute across %d gateways (%+.2f %%)%n",
                    admitted, quota, GATEWAYS, 100.0 * (admitted - quota) / quota);
        }
        Map<String, Object> settings = new LinkedHashMap<>(options);
        settings.put("target", target);
        LoadResult.writeJson(json, scenario, settings, results);
        System.out.println("\nresults: " + json.toAbsolutePath());
    }

    /**
     * Fills in the default rate: the arrival rate in open loop, none (no correction) in closed loop unless asked
     * for; the noisy scenario's victim always runs in open loop.
     */
    private static Map<String, String> withDefaults(String scenario, Map<String, String> given) {
        Map<String, String> options = new LinkedHashMap<>(DEFAULTS);
        options.putAll(given);
        boolean closed = options.get("mode").equals("closed") && !scenario.equals("noisy");
        options.putIfAbsent("rate", closed ? "0" : switch (scenario) {
            case "cpu" -> "20";
            case "noisy" -> "50";
            case "quota" -> "100";
            default -> "200";
        });
        return options;
    }

    /** Runs {@code scenario} against {@code base} with its default options, overridden by {@code options}. */
    static List<LoadResult> run(URI base, String adminToken, String scenario, Map<String, String> options)
            throws Exception {
        return new Scenarios(base, adminToken, withDefaults(scenario, options)).run(scenario);
    }

    private List<LoadResult> run(String scenario) throws Exception {
        SequentialLatency.requireLoopback(base);
        List<BenchTenant> tenants = new ArrayList<>();
        try {
            BenchTenant main = BenchTenant.create(http, base, adminToken, "load-" + scenario);
            tenants.add(main);
            return switch (scenario) {
                case "hello" -> List.of(measure("hello", plan(), hello(main)));
                case "echo" -> {
                    main.deploy(base, "echo");
                    byte[] body = new byte[1024];
                    new SecureRandom().nextBytes(body);
                    yield List.of(measure("echo 1 KiB", plan(), request(main, "echo", "")
                            .header("Content-Type", "application/octet-stream")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build()));
                }
                case "cpu" -> {
                    main.deploy(base, "spin");
                    yield List.of(measure("spin", plan(), request(main, "spin", "")
                            .POST(HttpRequest.BodyPublishers.noBody()).build()));
                }
                case "noisy" -> noisy(main, tenants);
                default -> throw new IllegalArgumentException(scenario);
            };
        } finally {
            for (BenchTenant tenant : tenants) {
                tenant.close();
            }
        }
    }

    /** Answers in 2xx: the calls a quota admitted. */
    static long admitted(List<LoadResult> results) {
        return results.stream().mapToLong(r -> r.count() - r.errorCount()).sum();
    }

    /**
     * Quota accuracy across gateways: a tenant with {@code --quota} invocations per minute (and no practical rate
     * limit), created and deployed through the first of three in-process gateways that share quotas and tenancy on
     * one Redis server on loopback, then driven through all three at once in open loop at {@code --rate} in all,
     * with no warm-up (it would spend the quota). The bucket starts full and refills once a minute, so a run
     * shorter than a minute should see exactly {@code --quota} calls answered 200 and the rest 429.
     */
    static List<LoadResult> quota(Map<String, String> given) throws Exception {
        Map<String, String> options = withDefaults("quota", given);
        Scenarios settings = new Scenarios(URI.create("http://127.0.0.1"), "", options);
        if (settings.number("duration") >= 60) {
            throw new IllegalArgumentException("duration: " + options.get("duration")
                    + " (expected: < 60 for quota, which counts one minute's quota)");
        }
        LoadPlan plan = LoadPlan.open(settings.number("rate") / GATEWAYS, (int) settings.number("max-in-flight"),
                Duration.ZERO, settings.seconds("duration"));
        String limits = "{\"invocations-per-minute\": " + (long) settings.number("quota")
                + ", \"requests-per-second\": 1000000, \"burst\": 1000000}";
        List<Path> dirs = new ArrayList<>();
        List<Sluice> gateways = new ArrayList<>();
        String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        try (var redis = dev.sluice.tenancy.testing.RedisTestServer.start()) {
            try {
                for (int i = 0; i < GATEWAYS; i++) {
                    Path dir = Files.createTempDirectory("sluice-quota");
                    dirs.add(dir);
                    gateways.add(Sluice.builder().config(SluiceConfig.defaults().with(Map.of("port", "0",
                            "data-dir", dir.toString(), "quota-store", "redis", "tenancy-store", "redis",
                            "redis-uri", redis.uri(), "quota-replicas", Integer.toString(GATEWAYS))))
                            .adminToken(Optional.of(token)).start());
                }
                List<URI> bases = gateways.stream().map(g -> URI.create("http://127.0.0.1:" + g.port())).toList();
                try (BenchTenant tenant = BenchTenant.create(settings.http, bases.getFirst(), token, "load-quota",
                        limits); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    tenant.deploy(bases.getFirst(), "hello");
                    List<Future<LoadResult>> runs = new ArrayList<>();
                    for (int i = 0; i < GATEWAYS; i++) {
                        HttpRequest call = HttpRequest.newBuilder(bases.get(i).resolve("/v1/functions/hello/invoke"
                                + "?name=bench")).header("Authorization", "Bearer " + tenant.key)
                                .timeout(Duration.ofMillis(settings.timeoutMillis())).GET().build();
                        String name = "hello via gateway " + (i + 1);
                        runs.add(pool.submit(() -> settings.generator.run(name, plan, call)));
                    }
                    List<LoadResult> results = new ArrayList<>();
                    for (Future<LoadResult> run : runs) {
                        results.add(run.get());
                    }
                    return results;
                }
            } finally {
                for (Sluice gateway : gateways) {
                    gateway.close();
                }
                for (Path dir : dirs) {
                    try (var files = Files.walk(dir)) {
                        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                }
            }
        }
    }

    /** The victim alone, beside one flooding tenant, then beside two; the flooders' own figures are listed too. */
    private List<LoadResult> noisy(BenchTenant victim, List<BenchTenant> tenants) throws Exception {
        String function = options.get("flood-function");
        if (!function.equals("spin") && !function.equals("hello")) {
            throw new IllegalArgumentException("flood-function: " + function + " (expected: spin or hello)");
        }
        HttpRequest victimCall = hello(victim);
        LoadPlan victimPlan = LoadPlan.open(number("rate"), (int) number("max-in-flight"), seconds("warmup"),
                seconds("duration"));
        LoadPlan floodPlan = LoadPlan.closed((int) number("flood-clients"), 0, seconds("warmup"), seconds("duration"));
        List<HttpRequest> floods = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            BenchTenant flooder = BenchTenant.create(http, base, adminToken, "load-flood" + i);
            tenants.add(flooder);
            flooder.deploy(base, function);
            floods.add(function.equals("hello") ? hello(flooder)
                    : request(flooder, "spin", "").POST(HttpRequest.BodyPublishers.noBody()).build());
        }
        List<LoadResult> results = new ArrayList<>();
        results.add(measure("victim alone", victimPlan, victimCall));
        for (int n = 1; n <= 2; n++) {
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<LoadResult>> flooders = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String name = String.format("  flooder %d (%s, beside %d)", i + 1, function, n);
                    HttpRequest flood = floods.get(i);
                    flooders.add(pool.submit(() -> generator.run(name, floodPlan, flood)));
                }
                results.add(measure("victim beside " + n + " flooder" + (n > 1 ? "s" : ""), victimPlan, victimCall));
                for (Future<LoadResult> flooder : flooders) {
                    results.add(flooder.get());
                }
            }
        }
        return results;
    }

    private LoadResult measure(String name, LoadPlan plan, HttpRequest request) throws InterruptedException {
        System.out.printf("%s: %s, %s s + %s s ...%n", name, plan.describe(), options.get("warmup"),
                options.get("duration"));
        return generator.run(name, plan, request);
    }

    private LoadPlan plan() {
        return switch (options.get("mode")) {
            case "open" -> LoadPlan.open(number("rate"), (int) number("max-in-flight"), seconds("warmup"),
                    seconds("duration"));
            case "closed" -> LoadPlan.closed((int) number("clients"), number("rate"), seconds("warmup"),
                    seconds("duration"));
            default -> throw new IllegalArgumentException("mode: " + options.get("mode") + " (expected: open or closed)");
        };
    }

    private HttpRequest hello(BenchTenant tenant) throws Exception {
        tenant.deploy(base, "hello");
        return request(tenant, "hello", "?name=bench").GET().build();
    }

    private HttpRequest.Builder request(BenchTenant tenant, String function, String query) {
        return HttpRequest.newBuilder(base.resolve("/v1/functions/" + function + "/invoke" + query))
                .header("Authorization", "Bearer " + tenant.key).timeout(Duration.ofMillis(timeoutMillis()));
    }

    private long timeoutMillis() {
        return (long) number("timeout-ms");
    }

    private Duration seconds(String option) {
        return Duration.ofMillis((long) (number(option) * 1000));
    }

    private double number(String option) {
        try {
            return Double.parseDouble(options.get(option));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": " + options.get(option) + " (expected: a number)");
        }
    }
}
