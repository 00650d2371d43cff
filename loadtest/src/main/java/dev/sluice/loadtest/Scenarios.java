package dev.sluice.loadtest;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.Sluice;
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
 *   <li>{@code many}: {@code --tenants N} tenants (default 200), each with its own key and {@code hello}, one
 *       open-loop (or closed-loop) load spread evenly over them; reports the whole load and the per-tenant spread
 *       (see {@link TenantSpread}).</li>
 *   <li>{@code quota}: quota accuracy across gateways (see {@link #quota}): three {@code sluice serve} processes
 *       on one Redis, always started by the scenario.</li>
 *   <li>{@code crosscheck}: {@code hello} at {@code --rate} for {@code --duration}, first from this tool, then from
 *       {@code h2load --h1 --rps} (see {@link H2Load}) against the same server, in one table (see
 *       {@link #crosscheck}).</li>
 * </ul>
 *
 * <p>Server options (in-process target and {@code quota}'s processes): {@code --server key=value}, repeatable, any
 * key of the configuration file (validated by it), e.g. {@code --server workers=4}; {@code --otlp-sink} starts an
 * {@link OtlpSink} on loopback, sets {@code otlp-endpoint} to it and prints what it received at the end.
 *
 * Options: {@code --mode open|closed} (default open), {@code --rate R} per second (open: the arrival rate, default
 * 200, cpu 20, noisy victim 50; closed: the target rate for coordinated-omission correction, default 0: none),
 * {@code --max-in-flight N} (open), {@code --clients N} (closed), {@code --warmup S}, {@code --duration S} (seconds;
 * at most 600 each), {@code --timeout-ms}, {@code --flood-clients N}, {@code --flood-function spin|hello},
 * {@code --json FILE} (default {@code loadtest/target/load-SCENARIO.json}), {@code --url http://127.0.0.1:PORT
 * --admin-token T}, {@code --tenants N} (many), {@code --h2load-clients N,M} (crosscheck: one h2load run per
 * connection count, default 1,10; the rate must be a multiple of each), {@code --h2load-log FILE} (crosscheck:
 * keep h2load's per-request log there). Only loopback targets are accepted.
 */
public final class Scenarios {
    private static final List<String> NAMES = List.of("hello", "echo", "cpu", "noisy", "many", "quota",
            "crosscheck");
    static final int MAX_TENANTS = 1000;
    private static final int GATEWAYS = 3;
    private static final Map<String, String> DEFAULTS = Map.ofEntries(Map.entry("mode", "open"),
            Map.entry("max-in-flight", "64"), Map.entry("clients", "8"), Map.entry("warmup", "3"),
            Map.entry("duration", "10"), Map.entry("timeout-ms", "10000"), Map.entry("flood-clients", "4"),
            Map.entry("flood-function", "spin"), Map.entry("quota", "300"), Map.entry("tenants", "200"),
            Map.entry("h2load-clients", "1,10"));

    private final URI base;
    private final String adminToken;
    private final Map<String, String> options;
    private final HttpClient http = LoadGenerator.client();
    private final LoadGenerator generator;
    /** What a scenario reports beside its results table: {@code spread} (many), {@code h2load} (crosscheck). */
    final Map<String, Object> extra = new LinkedHashMap<>();

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
        ServerArgs serverArgs = ServerArgs.extract(Arrays.copyOfRange(args, 1, args.length));
        Map<String, String> options = withDefaults(scenario, Options.parse(serverArgs.rest(),
                "mode", "rate", "max-in-flight", "clients", "warmup", "duration", "timeout-ms", "json",
                "flood-clients", "flood-function", "quota", "url", "admin-token", "tenants", "h2load-clients",
                "h2load-log"));
        Path json = Path.of(options.getOrDefault("json", "loadtest/target/load-" + scenario + ".json"));
        options.remove("json");
        Optional<String> url = Optional.ofNullable(options.remove("url"));
        if (url.isPresent() && (!serverArgs.settings().isEmpty() || serverArgs.otlpSink())) {
            throw new IllegalArgumentException("--server and --otlp-sink set up the server this tool starts: not with"
                    + " --url");
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        List<LoadResult> results;
        String target;
        try (OtlpSink sink = serverArgs.otlpSink() ? OtlpSink.start() : null) {
            Map<String, String> server = new LinkedHashMap<>(serverArgs.settings());
            if (sink != null) {
                server.put("otlp-endpoint", sink.endpoint().toString());
            }
            if (scenario.equals("quota")) {
                if (url.isPresent()) {
                    throw new IllegalArgumentException("quota starts its own gateways and Redis: no --url");
                }
                target = GATEWAYS + " sluice serve processes sharing one Redis on loopback" + settingsNote(server);
                options.put("warmup", "0");
                results = quota(options, server);
            } else if (url.isPresent()) {
                String token = Optional.ofNullable(options.remove("admin-token"))
                        .orElseThrow(() -> new IllegalArgumentException("--url needs --admin-token"));
                target = url.get();
                Scenarios scenarios = new Scenarios(URI.create(target), token, options);
                results = scenarios.run(scenario);
                extra.putAll(scenarios.extra);
            } else {
                Path dir = Files.createTempDirectory("sluice-load");
                String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
                Map<String, String> settings = new LinkedHashMap<>(server);
                settings.put("port", "0");
                settings.put("data-dir", dir.toString());
                try {
                    SluiceConfig config = SluiceConfig.defaults().with(settings);
                    try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of(token)).start()) {
                        target = String.format("in-process Sluice (workers=%d, tenant-max-concurrency=%d)%s",
                                config.workers(), config.effectiveTenantMaxConcurrency(), settingsNote(server));
                        Scenarios scenarios = new Scenarios(URI.create("http://127.0.0.1:" + sluice.port()), token,
                                options);
                        results = scenarios.run(scenario);
                        extra.putAll(scenarios.extra);
                    }
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
                System.out.printf("%nadmitted %d of a quota of %d invocations per minute across %d gateways "
                        + "(%+.2f %%)%n", admitted, quota, GATEWAYS, 100.0 * (admitted - quota) / quota);
            }
            if (extra.get("spread") instanceof TenantSpread spread) {
                System.out.println();
                System.out.println(spread.describe());
                extra.put("spread", spread.json());
            }
            if (extra.get("h2load") instanceof List<?> runs) {
                List<Map<String, Object>> summaries = new ArrayList<>();
                for (Object each : runs) {
                    H2Load.Run run = (H2Load.Run) each;
                    System.out.printf("%n%s%n  %s%n", String.join(" ", run.command()),
                            String.join("\n  ", run.summary()));
                    summaries.add(Map.of("name", run.result().name(), "command", String.join(" ", run.command()),
                            "summary", run.summary()));
                }
                extra.put("h2load", summaries);
                System.out.printf("%nh2load times each request from when it sent it, a connection's next request "
                        + "waiting for the answer before (no coordinated-omission correction); this tool times each "
                        + "from when it was due.%n");
            }
            if (sink != null) {
                System.out.println();
                System.out.println(sink.describe());
                Map<String, Object> received = new LinkedHashMap<>();
                sink.counts().forEach((path, c) -> received.put(path, Map.of("requests", c.requests(),
                        "bytes", c.bytes())));
                extra.put("otlp-sink", received);
            }
        }
        Map<String, Object> settings = new LinkedHashMap<>(options);
        settings.put("target", target);
        serverArgs.settings().forEach((key, value) -> settings.put("server." + key, value));
        LoadResult.writeJson(json, scenario, settings, results, extra);
        System.out.println("\nresults: " + json.toAbsolutePath());
    }

    private static String settingsNote(Map<String, String> server) {
        return server.isEmpty() ? ", default settings" : ", settings " + server;
    }

    /**
     * The repeatable {@code --server key=value} options and the {@code --otlp-sink} flag, taken out of the
     * arguments before the other options (each with one value) are parsed.
     */
    record ServerArgs(Map<String, String> settings, boolean otlpSink, String[] rest) {
        static ServerArgs extract(String[] args) {
            Map<String, String> settings = new LinkedHashMap<>();
            boolean sink = false;
            List<String> rest = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--otlp-sink")) {
                    sink = true;
                } else if (args[i].equals("--server")) {
                    String setting = i + 1 < args.length ? args[++i] : "";
                    int eq = setting.indexOf('=');
                    if (eq < 1) {
                        throw new IllegalArgumentException("--server: '" + setting + "' (expected: key=value)");
                    }
                    settings.put(setting.substring(0, eq).strip(), setting.substring(eq + 1).strip());
                } else {
                    rest.add(args[i]);
                }
            }
            for (String fixed : List.of("port", "data-dir")) {
                if (settings.containsKey(fixed)) {
                    throw new IllegalArgumentException("--server " + fixed + ": set by this tool (expected: another"
                            + " key)");
                }
            }
            if (sink && settings.containsKey("otlp-endpoint")) {
                throw new IllegalArgumentException("--otlp-sink sets otlp-endpoint: not both");
            }
            return new ServerArgs(java.util.Collections.unmodifiableMap(settings), sink, rest.toArray(String[]::new));
        }
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
        return against(base, adminToken, scenario, options).run(scenario);
    }

    /** The scenarios against {@code base}, for a test that reads {@link #extra} after {@link #run(String)}. */
    static Scenarios against(URI base, String adminToken, String scenario, Map<String, String> options) {
        return new Scenarios(base, adminToken, withDefaults(scenario, options));
    }

    List<LoadResult> run(String scenario) throws Exception {
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
                case "many" -> many(main, tenants);
                case "crosscheck" -> crosscheck(main);
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
     * Quota accuracy across gateways: three {@code sluice serve} processes (separate JVMs, {@link RoleProcess})
     * sharing quotas and tenancy on one real {@code redis-server} on loopback, each with {@code quota-replicas = 3}
     * and the {@code server} settings. A tenant with {@code --quota} invocations per minute (and no practical rate
     * limit) is created and deployed through the first, then driven through all three at once in open loop at
     * {@code --rate} in all, with no warm-up (it would spend the quota). The bucket starts full and refills once a
     * minute, so a run shorter than a minute should see exactly {@code --quota} calls answered 200 and the rest 429.
     * The processes are small JVMs with the quick compiler only, to start fast on a busy machine, each warmed by
     * another tenant's calls first (see {@link #warm}); their latencies are not this scenario's subject.
     */
    static List<LoadResult> quota(Map<String, String> given, Map<String, String> server) throws Exception {
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
        Path dir = Files.createTempDirectory("sluice-quota");
        List<RoleProcess> gateways = new ArrayList<>();
        try (var redis = dev.sluice.tenancy.testing.RedisTestServer.start()) {
            Map<String, String> shared = new LinkedHashMap<>(RoleProcess.sharedStores(redis.uri()));
            shared.put("quota-replicas", Integer.toString(GATEWAYS));
            shared.putAll(server);
            for (int i = 1; i <= GATEWAYS; i++) {
                int port = RoleProcess.freePort();
                Map<String, String> one = new LinkedHashMap<>(shared);
                one.put("port", Integer.toString(port));
                gateways.add(RoleProcess.launch("serve-" + i, "serve", port, dir.resolve("serve-" + i), one,
                        RoleProcess.SMALL_JVM));
            }
            for (RoleProcess gateway : gateways) {
                gateway.awaitReady(true, Duration.ofSeconds(120));
            }
            List<URI> bases = gateways.stream().map(RoleProcess::uri).toList();
            warm(settings.http, bases);
            try (BenchTenant tenant = BenchTenant.create(settings.http, bases.getFirst(), RoleProcess.ADMIN_TOKEN,
                    "load-quota", limits); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                tenant.deploy(bases.getFirst(), "hello");
                List<Future<LoadResult>> runs = new ArrayList<>();
                for (int i = 0; i < GATEWAYS; i++) {
                    HttpRequest call = HttpRequest.newBuilder(bases.get(i).resolve("/v1/functions/hello/invoke"
                            + "?name=bench")).header("Authorization", "Bearer " + tenant.key)
                            .timeout(Duration.ofMillis(settings.timeoutMillis())).GET().build();
                    String name = "hello via serve process " + (i + 1);
                    runs.add(pool.submit(() -> settings.generator.run(name, plan, call)));
                }
                List<LoadResult> results = new ArrayList<>();
                for (Future<LoadResult> run : runs) {
                    results.add(run.get());
                }
                return results;
            }
        } finally {
            for (RoleProcess gateway : gateways) {
                gateway.close();
            }
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Sends {@value #WARM_CALLS} calls of another tenant's {@code hello} through each fresh process before the
     * quota is driven: without it, the process that happens to start slowest can answer its first calls after the
     * others have spent the whole quota, and admit none.
     */
    private static void warm(HttpClient http, List<URI> bases) throws Exception {
        try (BenchTenant warm = BenchTenant.create(http, bases.getFirst(), RoleProcess.ADMIN_TOKEN,
                "load-quota-warm")) {
            warm.deploy(bases.getFirst(), "hello");
            for (URI base : bases) {
                for (int i = 0; i < WARM_CALLS; i++) {
                    HttpResponse<Void> answer = http.send(HttpRequest.newBuilder(base.resolve(
                            "/v1/functions/hello/invoke?name=warm")).header("Authorization", "Bearer " + warm.key)
                            .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.discarding());
                    if (answer.statusCode() != 200) {
                        throw new IllegalStateException(base + ": warm-up call answered " + answer.statusCode());
                    }
                }
            }
        }
    }

    private static final int WARM_CALLS = 20;

    /**
     * {@code --tenants} tenants (the scenario's first tenant among them), each with its own key and {@code hello},
     * created {@value #SETUP_PARALLELISM} at a time through the API; then one load over all of them (the plan's rate
     * and concurrency are the whole load's, request {@code i} goes to tenant {@code i mod N}). The results table has
     * the whole load; {@link #extra} {@code "spread"} the per-tenant figures.
     */
    private List<LoadResult> many(BenchTenant first, List<BenchTenant> tenants) throws Exception {
        int count = (int) number("tenants");
        if (count < 1 || count > MAX_TENANTS) {
            throw new IllegalArgumentException("tenants: " + options.get("tenants") + " (expected: 1.."
                    + MAX_TENANTS + ")");
        }
        System.out.printf("creating %d tenants, each with a key and hello ...%n", count);
        long started = System.nanoTime();
        first.deploy(base, "hello");
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(SETUP_PARALLELISM);
            List<Future<BenchTenant>> created = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                String prefix = "load-many" + i;
                created.add(pool.submit(() -> {
                    slots.acquire();
                    try {
                        BenchTenant tenant = BenchTenant.create(http, base, adminToken, prefix);
                        tenant.deploy(base, "hello");
                        return tenant;
                    } finally {
                        slots.release();
                    }
                }));
            }
            // Every created tenant is recorded for deletion, even when another one failed.
            Exception failure = null;
            for (Future<BenchTenant> tenant : created) {
                try {
                    tenants.add(tenant.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    failure = failure == null ? (e.getCause() instanceof Exception c ? c : e) : failure;
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
        System.out.printf("%d tenants ready in %.1f s%n", tenants.size(), (System.nanoTime() - started) / 1e9);
        List<LoadGenerator.Target> targets = tenants.stream()
                .map(t -> new LoadGenerator.Target(t.name, request(t, "hello", "?name=bench").GET().build())).toList();
        LoadPlan plan = plan();
        System.out.printf("%d tenants: %s, %s s + %s s ...%n", count, plan.describe(), options.get("warmup"),
                options.get("duration"));
        LoadGenerator.Spread spread = generator.spread(count + " tenants, hello", plan, targets, 2);
        extra.put("spread", new TenantSpread(spread.targets()));
        return List.of(spread.whole());
    }

    private static final int SETUP_PARALLELISM = 8;

    /**
     * {@code hello} at {@code --rate} for {@code --duration}: this tool in open loop (after its warm-up, which also
     * warms the server for the runs after it), then {@code h2load --h1} once for each connection count of
     * {@code --h2load-clients} (default 1 and 10), each connection at {@code rate / clients}. HTTP/1.1 on both sides
     * because that is all Sluice's public port serves (h2c is only the gateway-to-worker hop). h2load's connections
     * fire together, so with 10 its requests arrive in bursts of 10; with 1 they are evenly spaced, as this tool's.
     * {@link #extra} {@code "h2load"} holds h2load's own summaries; {@code --h2load-log FILE} keeps the last run's
     * per-request log.
     */
    private List<LoadResult> crosscheck(BenchTenant tenant) throws Exception {
        long rate = (long) number("rate");
        if (rate != number("rate")) {
            throw new IllegalArgumentException("rate: " + options.get("rate") + " (expected: a whole number for"
                    + " crosscheck)");
        }
        List<Integer> connections = new ArrayList<>();
        for (String count : options.get("h2load-clients").split(",")) {
            try {
                connections.add(Integer.parseInt(count.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("h2load-clients: " + options.get("h2load-clients")
                        + " (expected: connection counts, e.g. 1,10)");
            }
        }
        HttpRequest call = hello(tenant);
        LoadPlan plan = LoadPlan.open(rate, (int) number("max-in-flight"), seconds("warmup"), seconds("duration"));
        List<LoadResult> results = new ArrayList<>();
        results.add(measure("this tool (open loop)", plan, call));
        List<H2Load.Run> runs = new ArrayList<>();
        for (int clients : connections) {
            String name = "h2load --h1 --rps " + rate / Math.max(1, clients) + " -c " + clients;
            System.out.printf("%s: %d/s in all, %s s ...%n", name, rate, options.get("duration"));
            H2Load.Run run = H2Load.run(name, call.uri(), List.of("authorization: Bearer " + tenant.key), rate,
                    clients, seconds("duration"), Optional.ofNullable(options.get("h2load-log")).map(Path::of));
            runs.add(run);
            results.add(run.result());
        }
        extra.put("h2load", runs);
        return results;
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
