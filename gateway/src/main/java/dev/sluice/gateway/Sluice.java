package dev.sluice.gateway;

import dev.sluice.scheduler.assets.FunctionAssets;
import dev.sluice.gateway.core.FunctionFilesSource;
import dev.sluice.scheduler.redis.SharedSchedulers;
import dev.sluice.scheduler.shared.ModuleStore;

import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.config.secrets.EncryptedFileSecrets;
import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.gateway.core.Deploys;
import dev.sluice.gateway.core.Invocations;
import dev.sluice.gateway.core.TenantAccess;
import dev.sluice.gateway.http.ErrorMapper;
import dev.sluice.gateway.metrics.MetricsService;
import dev.sluice.gateway.metrics.SluiceMetrics;
import dev.sluice.gateway.http.ProblemDirectHandler;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.SchedulerSettings;
import dev.sluice.scheduler.redis.SchedulerRedis;
import dev.sluice.tenancy.auth.AdminCredentials;
import dev.sluice.tenancy.quota.BreakerSettings;
import dev.sluice.config.StoreConfig;
import dev.sluice.tenancy.quota.FailPolicy;
import dev.sluice.tenancy.local.LocalTenancy;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.redis.RedisSettings;
import dev.sluice.tenancy.redis.RedisTenancy;
import dev.sluice.tenancy.TenancyStores;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.managed.ManagedObjects;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import dev.sluice.gateway.logs.FunctionLogs;
import dev.sluice.gateway.logs.FunctionsWithLogs;
import dev.sluice.gateway.logs.LogLimits;
import dev.sluice.gateway.tracing.OtlpExport;
import dev.sluice.gateway.tracing.Tracing;
import dev.sluice.gateway.access.AccessLog;

/**
 * One Sluice process with its embedded defaults: local tenancy, the in-process worker pool and the HTTP server, wired
 * together. Tests build it with fake clocks and port 0; {@link Main} builds it from the configuration file.
 */
public final class Sluice implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Sluice.class.getName());

    private static final long FLUSH_SECONDS = 5;

    private final SluiceConfig config;
    private final DataDirLock dataDirLock;
    private final TenancyStores tenancy;
    private final Quotas quotas;
    private final Execution scheduler;
    private final ScheduledExecutorService housekeeping;
    private final DeployAdmission deploys;
    private final Drain drain;
    private final WebServer server;
    private final ConfigSources sources;
    private final SluiceMetrics metrics;
    private final Optional<AccessLog> accessLog;
    private final Tracing tracing;
    private volatile boolean stopped;

    private Sluice(Builder builder) {
        Opened opened = new Opened();
        try {
            // Vault's requests, held until the metrics exist (they need the configuration Vault may hold), then told.
            DeferredVaultCalls vaultCalls = new DeferredVaultCalls();
            // The file, and Vault when configured: Vault's config path may set keys everything below is built from.
            this.sources = opened.add(ConfigSources.open(builder.config, builder.configFile, builder.environment,
                    builder.clock, vaultCalls));
            // The file and Vault first; then $SLUICE_REDIS_URI when neither sets redis-uri, for every Redis client.
            this.config = sources.config().withEnvironment(builder.environment);
            // The live keys (default limits, default timeout, fail policy), read per request.
            LiveSettings settings = LiveSettings.of(config);
            // Traces (tracing = on): spans around authentication, quotas, deploys and dispatch; inert when off.
            this.tracing = opened.add(Tracing.create(config.tracing(), "sluice"));
            // One per process (no global registry): what /metrics shows is this process's alone. Before the stores, so
            // their Redis clients report their commands.
            this.metrics = opened.add(SluiceMetrics.create(builder.nanoTime,
                    OtlpExport.metricReaders(config.tracing())));
            vaultCalls.bind(metrics);
            metrics.spansDropped(tracing::spansDropped);
            // First: nothing in the data directory is read or written unless this process alone uses it.
            this.dataDirLock = opened.add(DataDirLock.acquire(config.dataDir()));
            // With Vault, its declared plans, tenants and keys over the stores (ManagedTenancy closes the base).
            this.tenancy = sources.manage(opened.add(openTenancy(config, builder, metrics)));
            ManagedObjects managed = sources.managedObjects();
            this.quotas = opened.add(tracing.quotas(openQuotas(config, builder, tenancy, settings, metrics),
                    config.stores().sharedQuotas()));
            this.scheduler = opened.add(builder.execution.open(config, builder.clock, metrics));
            AdminCredentials admin = AdminCredentials.load(config.dataDir(), builder.adminToken, builder.announce);
            this.deploys = opened.add(DeployAdmission.forProcessors(Runtime.getRuntime().availableProcessors()));
            this.drain = new Drain();
            this.housekeeping = Executors.newSingleThreadScheduledExecutor(daemon("sluice-housekeeping"));
            opened.add(housekeeping::shutdownNow);
            housekeeping.scheduleWithFixedDelay(this::flush, FLUSH_SECONDS, FLUSH_SECONDS, TimeUnit.SECONDS);
            metrics.observeConfig(sources.live()::status);
            metrics.observeQuotas(quotas);
            // access-log: one JSON line per request on the main port, written off the request threads.
            this.accessLog = AccessLog.open(config.logs(), builder.clock, builder.nanoTime, metrics::accessLogDropped,
                    builder.traceIds != null ? builder.traceIds : () -> Tracing.currentTraceId().orElse(null),
                    builder.accessLogOutput);
            accessLog.ifPresent(opened::add);
            scheduler.load().ifPresent(metrics::observeWorkers);
            TenantGate gate = new TenantGate(new TenantAccess(tracing.keys(tenancy.keys()), tenancy.tenants(),
                    tenancy.plans(), settings::defaults, quotas, new AuthFailureLimiter(builder.nanoTime)), metrics);
            AdminAuth auth = new AdminAuth(tracing.admin(admin::verify));
            // In Vault when it is configured, else encrypted in the data directory.
            FunctionSecrets secrets = builder.secrets.orElseGet(() -> sources.secrets(() -> fileSecrets(config,
                    builder), builder.nanoTime));
            // Deleting a function, or a tenant's functions, deletes their secrets first (FunctionsWithSecrets).
            // Tenant function logs (stderr per invocation), in memory; deleting a function or tenant drops its own.
            FunctionLogs functionLogs = FunctionLogs.create(
                    builder.logLimits.orElseGet(() -> LogLimits.of(config.logs())), builder.clock);
            // Function assets: trees in <data-dir>/assets (published to the shared store with Redis), which one a
            // function has in its record; deleting a function or tenant gives back its own (FunctionsWithAssets).
            FunctionsWithAssets withAssets = FunctionsWithAssets.over(
                    FunctionsWithSecrets.over(scheduler.functions(), secrets), FunctionAssets.open(config.dataDir()),
                    scheduler.sharedStore());
            var functions = FunctionsWithLogs.over(withAssets, functionLogs);
            AdminService adminService = new AdminService(auth, tenancy.tenants(), tenancy.plans(), tenancy.keys(),
                    quotas, functions, settings::defaults, managed, metrics, builder.clock);
            PlanService planService = new PlanService(auth, tenancy.plans(), settings::defaults, managed);
            // Run here (only then is there an in-process pool, with its load): the tree's directory is found here.
            // Remote workers find it themselves by its digest.
            FunctionFilesSource filesSource = scheduler.load().isPresent()
                    ? FunctionFilesSource.local(withAssets::directory) : FunctionFilesSource.REMOTE;
            FunctionService functionService = new FunctionService(gate, functions,
                    new Invocations(functions, tracing.dispatcher(scheduler.dispatcher()), drain, quotas, secrets,
                            filesSource),
                    new Deploys(tracing.deploys(functions), deploys, drain, settings::defaultTimeoutMs),
                    quotas.usage(),
                    config.maxRequestBytes(), new SecretService(functions, secrets),
                    new LogService(functionLogs, functions, builder.clock, builder.nanoTime), metrics,
                    withAssets);
            MetricsService metricsService = MetricsService.create(metrics, auth);
            // Not ready while a shared store was never reached: the gateway starts anyway and connects in the
            // background.
            HealthService health = new HealthService(drain, () -> tenancy.ready() && quotas.ready(), quotas,
                    sources.live()::status);
            ConfigService configService = new ConfigService(auth, sources.live());
            // The first configuration into every listener (Vault's tenants before the first request), then polling.
            sources.start(settings);
            this.server = WebServer.builder()
                    .host(config.host())
                    .port(config.port())
                    .shutdownHook(false)
                    // HTTP/1.1 only: HTTP/2 (on the classpath for the workers' internal port) is not a tenant
                    // protocol, so no h2c upgrade or prior-knowledge preface is honoured here.
                    .protocolsDiscoverServices(false)
                    .addProtocol(io.helidon.webserver.http1.Http1Config.create())
                    // Without it, responses written in pieces wait ~40 ms on delayed ACKs.
                    .connectionOptions(options -> options.tcpNoDelay(true))
                    .maxPayloadSize(payloadBackstop(config))
                    .routing(routing -> {
                        // The tracing filter first: the access log runs inside its span and logs its trace id.
                        HttpRouting.Builder traced = tracing.filtered(routing);
                        accessLog.ifPresent(traced::addFilter);
                        // A stop waits for the answers of admitted work to be written, not only for the work.
                        traced.addFilter(drain);
                        routing(traced, health, configService, planService, adminService, functionService,
                                metricsService);
                    })
                    // What Helidon refuses before routing (bad framing, huge headers) is a problem document too; the
                    // parser's message is let through so the handler can tell oversized headers from malformed ones.
                    .directHandlers(ProblemDirectHandler.handlers())
                    .errorHandling(errors -> errors.includeEntity(true))
                    // metrics-port: /metrics without the admin token, and the same health as here (one readiness
                    // rule), on a listener of its own (none by default).
                    .sockets(MetricsService.managementSockets(config.metrics(), metrics, health))
                    .build();
        } catch (RuntimeException | Error e) {
            // A start that fails half-way (corrupt state, Redis away, a host the server cannot use) must leave nothing
            // behind: no connections, no threads, and above all no lock, or this JVM could never open the directory.
            opened.closeAll();
            throw e;
        }
    }


    /**
     * The whole HTTP surface, in matching order. Every {@code register} prefix must stay literal: Helidon builds a
     * span's {@code http.route} as the matched prefix (the client's text) plus the service's template, so a
     * {@code {param}} here would put raw client text into traces (TracesTest pins the route templates).
     */
    private static void routing(HttpRouting.Builder routing, HealthService health, ConfigService configs,
                                PlanService plans, AdminService admin, FunctionService functions,
                                MetricsService metrics) {
        routing.error(Throwable.class, new ErrorMapper())
                .register("/health", health)
                .register("/metrics", metrics)
                .register("/admin/v1/config", configs)
                .register("/admin/v1/plans", plans)
                .register("/admin/v1", admin)
                .register("/admin/ui", dev.sluice.gateway.console.ConsoleService.create()) // ConsoleService.PATH
                .register("/v1", functions)
                .any((req, res) -> {
                    throw ProblemException.of(ProblemType.NOT_FOUND,
                            "no route for " + req.prologue().method().text() + " "
                                    + AdminService.safe(req.path().absolute().rawPath()));
                });
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@code serve}: functions run by the in-process worker pool, stored in the data directory or, with shared
     * tenancy, shared with every process through Redis (metadata and module bytes).
     */
    private static Execution local(SluiceConfig config, InstantSource clock, SluiceMetrics metrics) {
        LocalScheduler local = config.stores().sharedTenancy()
                ? SharedSchedulers.allInOne(schedulerSettings(config), config.dataDir(), clock,
                        SchedulerRedis.Settings.from(config.stores()).withCalls(metrics::redisCommand),
                        metrics::moduleCompiled)
                : LocalScheduler.open(schedulerSettings(config), config.dataDir(), clock, metrics::moduleCompiled);
        return new Execution() {
            @Override
            public Optional<ModuleStore> sharedStore() {
                return local.sharedStore();
            }

            @Override
            public dev.sluice.scheduler.FunctionRegistry functions() {
                return local.functions();
            }

            @Override
            public dev.sluice.scheduler.Dispatcher dispatcher() {
                return local.dispatcher();
            }

            @Override
            public void close() {
                local.close();
            }

            @Override
            public Optional<java.util.function.Supplier<dev.sluice.scheduler.WorkerLoad>> load() {
                return Optional.of(local::load);
            }
        };
    }

    static SchedulerSettings schedulerSettings(SluiceConfig config) {
        SchedulerSettings defaults = SchedulerSettings.defaults();
        return new SchedulerSettings(config.workers(), config.effectiveTenantMaxConcurrency(), config.tenantQueue(),
                config.maxStdoutBytes(), config.maxStderrBytes(), defaults.workerStackBytes())
                .withCompileBudgetMillis(config.compileBudgetMs())
                // At least two: a tenant compiles on all threads but one, so another tenant's compile never waits.
                .withCompileThreads(Math.max(2, Runtime.getRuntime().availableProcessors() / 2));
    }

    /**
     * Function secrets in the data directory, encrypted with {@code $SLUICE_SECRETS_KEY} (checked now: a malformed key
     * stops the start). Without a key, functions without secrets still run; the secrets API answers 503.
     */
    private static FunctionSecrets fileSecrets(SluiceConfig config, Builder builder) {
        EncryptedFileSecrets secrets = EncryptedFileSecrets.open(config.dataDir().resolve("secrets"),
                builder.secretsKey, builder.clock);
        if (!secrets.hasKey()) {
            LOG.log(Level.INFO, "function secrets are off: set " + EncryptedFileSecrets.KEY_VARIABLE
                    + " (32 random bytes in base64) or configure Vault to keep them");
        } else if (config.stores().sharedTenancy()) {
            LOG.log(Level.WARNING, "function secrets are kept in this gateway's data directory: other gateways "
                    + "sharing its tenants and functions do not see them; configure Vault for several gateways");
        }
        return secrets;
    }

    /** Tenants, plans and keys: in the data directory, or shared by every gateway through Redis. */
    private static TenancyStores openTenancy(SluiceConfig config, Builder builder, SluiceMetrics metrics) {
        if (config.stores().sharedTenancy()) {
            return RedisTenancy.open(redisSettings(config).withCalls(metrics::redisCommand), builder.clock);
        }
        return LocalTenancy.open(config.dataDir(), builder.clock);
    }

    /** Quotas and usage: in this process, or shared through Redis with each tenant's fail policy. */
    private static Quotas openQuotas(SluiceConfig config, Builder builder, TenancyStores tenancy,
                                     LiveSettings live, SluiceMetrics metrics) {
        if (!config.stores().sharedQuotas()) {
            return Quotas.local(config.dataDir(), builder.clock, builder.nanoTime);
        }
        RedisSettings settings = redisSettings(config).withCalls(metrics::redisCommand);
        // A tenant's own policy (plan or override) wins; looking it up must not fail while Redis is away. The
        // fallback is the quota-fail-policy in force now (a live key), not the one read at start.
        Function<TenantId, FailPolicy> policy = id -> {
            try {
                return tenancy.tenants().find(id)
                        .flatMap(t -> tenancy.plans().resolve(t, live.defaults()).quotaFailPolicy())
                        .orElseGet(live::quotaFailPolicy);
            } catch (RuntimeException unavailable) {
                return live.quotaFailPolicy();
            }
        };
        return Quotas.redis(settings, builder.clock, builder.nanoTime, policy);
    }

    private static RedisSettings redisSettings(SluiceConfig config) {
        StoreConfig stores = config.stores();
        return new RedisSettings(stores.effectiveRedisUri(), stores.redisCluster(),
                Duration.ofMillis(stores.redisTimeoutMs()), FailPolicy.parse(stores.quotaFailPolicy()), stores.quotaReplicas(), stores.redisKeyPrefix())
                .withConnectTimeout(Duration.ofMillis(stores.redisConnectTimeoutMs()))
                .withBreaker(new BreakerSettings(stores.redisBreakerMinFailures(), stores.redisBreakerFailurePercent(),
                        Duration.ofMillis(stores.redisBreakerWindowMs()), Duration.ofMillis(stores.redisBreakerOpenMs()),
                        BreakerSettings.DEFAULTS.probes()));
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread thread = new Thread(r, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private void flush() {
        try {
            quotas.flush();
            tenancy.flush();
        } catch (RuntimeException e) {
            // Counting goes on in memory; the next flush writes everything.
            LOG.log(Level.WARNING, "cannot write usage: " + e.getMessage());
        }
    }

    Sluice start() {
        server.start();
        if (!server.isRunning() || server.port() < 0) {
            // Helidon logs a failed bind and returns; a server that does not listen must not claim to.
            throw new ConfigException("port: cannot listen on " + config.host() + ":" + config.port()
                    + " (address in use, or not allowed)");
        }
        LOG.log(Level.INFO, "Sluice listening on http://" + config.host() + ":" + server.port()
                + " (data in " + config.dataDir().toAbsolutePath() + ")");
        if (config.metrics().enabled()) {
            if (metricsPort() < 0) {
                throw new ConfigException("metrics-port: cannot listen on " + config.metrics().metricsHost() + ":"
                        + config.metrics().metricsPort() + " (address in use, or not allowed)");
            }
            LOG.log(Level.INFO, "Sluice serving /metrics and /health on http://" + config.metrics().metricsHost() + ":"
                    + metricsPort() + " (no authentication)");
        }
        return this;
    }

    public int port() {
        return server.port();
    }

    /** The management listener's port ({@code metrics-port}), or -1 when there is none. */
    public int metricsPort() {
        return config.metrics().enabled() ? server.port(MetricsService.SOCKET) : -1;
    }

    /** Invocations and deploys running now; what a graceful stop waits for. */
    int inFlight() {
        return drain.inFlight();
    }

    public SluiceConfig config() {
        return config;
    }

    /**
     * Graceful stop: readiness turns false and new work is refused, in-flight invocations get up to
     * {@code shutdown-grace-ms} to finish, then the listener closes and the workers stop.
     */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        // No configuration change applies while stopping.
        Opened.closeQuietly(sources.live());
        GracePeriod grace = GracePeriod.start(config.shutdownGraceMs());
        drain.close();
        grace.awaitIdle(drain::awaitIdle);
        try {
            server.stop();
            scheduler.dispatcher().shutdown(grace.remainingMillis());
        } finally {
            // Whatever failed above, the workers, the pools and the Redis connections are released.
            Opened.closeQuietly(scheduler);
            deploys.close();
            housekeeping.shutdownNow();
            flush();
            Opened.closeQuietly(quotas);
            Opened.closeQuietly(tenancy);
            Opened.closeQuietly(sources);
            Opened.closeQuietly(metrics);
            Opened.closeQuietly(tracing);
            accessLog.ifPresent(Opened::closeQuietly); // after the listener: every answered request is written
            dataDirLock.close(); // last: everything above is written
        }
    }

    @Override
    public void close() {
        stop();
    }


    /** Assembles a Sluice; every collaborator has a production default. */
    public static final class Builder {
        private SluiceConfig config = SluiceConfig.defaults();
        private InstantSource clock = InstantSource.system();
        private LongSupplier nanoTime = System::nanoTime;
        private Optional<String> adminToken = Optional.empty();
        private Consumer<String> announce = token -> { };
        private Execution.Opener execution = Sluice::local;
        private Optional<String> secretsKey = Optional.empty();
        private Optional<FunctionSecrets> secrets = Optional.empty();
        private Optional<java.nio.file.Path> configFile = Optional.empty();
        private java.util.Map<String, String> environment = System.getenv();
        private Optional<LogLimits> logLimits = Optional.empty(); // from function-logs-* unless set
        private java.util.function.Supplier<String> traceIds;
        private Optional<java.io.OutputStream> accessLogOutput = Optional.empty();

        private Builder() {}

        public Builder config(SluiceConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Bounds of the tenant function logs (ring, bytes and retention per tenant, streams). */
        public Builder logLimits(LogLimits logLimits) {
            this.logLimits = Optional.of(Objects.requireNonNull(logLimits, "logLimits"));
            return this;
        }

        /**
         * The current span's trace id (null when none) for the access log, asked on the request's thread before the
         * request is handled; by default the tracing filter's ({@link Tracing#currentTraceId()}).
         */
        public Builder traceIds(java.util.function.Supplier<String> traceIds) {
            this.traceIds = Objects.requireNonNull(traceIds, "traceIds");
            return this;
        }

        /** The access log written to {@code out} whatever {@code access-log} says (tests: a slow sink). */
        Builder accessLogOutput(java.io.OutputStream out) {
            this.accessLogOutput = Optional.of(Objects.requireNonNull(out, "out"));
            return this;
        }

        /** Wall time: creation and expiry instants. */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Monotonic time for quotas, so tests refill buckets without sleeping. */
        public Builder nanoTime(LongSupplier nanoTime) {
            this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
            return this;
        }

        /** A fixed admin token (from {@code SLUICE_ADMIN_TOKEN}); without one a token is generated once. */
        public Builder adminToken(Optional<String> adminToken) {
            this.adminToken = Objects.requireNonNull(adminToken, "adminToken");
            return this;
        }

        /** Receives a newly generated admin token, the one time it exists in clear. */
        public Builder announce(Consumer<String> announce) {
            this.announce = Objects.requireNonNull(announce, "announce");
            return this;
        }

        /**
         * The key of the data directory's function secrets (from {@code $SLUICE_SECRETS_KEY}: 32 random bytes in
         * base64); without one, functions cannot be given secrets.
         */
        public Builder secretsKey(Optional<String> base64Key) {
            this.secretsKey = Objects.requireNonNull(base64Key, "base64Key");
            return this;
        }

        /** Another backend for function secrets (Vault) instead of the data directory's. */
        public Builder secrets(FunctionSecrets secrets) {
            this.secrets = Optional.of(Objects.requireNonNull(secrets, "secrets"));
            return this;
        }

        /**
         * The file {@link #config} was read from: watched, so a saved change to a live key applies without a
         * restart (see docs/configuration.md). Without one the configuration changes only through Vault.
         */
        public Builder configFile(Optional<java.nio.file.Path> configFile) {
            this.configFile = Objects.requireNonNull(configFile, "configFile");
            return this;
        }

        /**
         * Where Vault credentials come from when the configuration names no file for them ({@code $VAULT_TOKEN},
         * {@code $SLUICE_VAULT_ROLE_ID}, {@code $SLUICE_VAULT_SECRET_ID}), and {@code $SLUICE_REDIS_URI} when the
         * configuration sets no {@code redis-uri}; the process's environment by default.
         */
        public Builder environment(java.util.Map<String, String> environment) {
            this.environment = java.util.Map.copyOf(Objects.requireNonNull(environment, "environment"));
            return this;
        }

        /** Where functions are stored and run; the in-process scheduler unless a role says otherwise. */
        Builder execution(java.util.function.BiFunction<SluiceConfig, InstantSource, Execution> execution) {
            Objects.requireNonNull(execution, "execution");
            this.execution = (config, clock, metrics) -> execution.apply(config, clock);
            return this;
        }

        /** ... given the process's metrics, for the calls it makes (Redis). */
        Builder measuredExecution(Execution.Opener execution) {
            this.execution = Objects.requireNonNull(execution, "execution");
            return this;
        }

        /** Opens the stores and starts listening. */
        public Sluice start() {
            Sluice sluice = new Sluice(this);
            try {
                return sluice.start();
            } catch (RuntimeException e) {
                // The port is taken, say: release what the constructor opened.
                sluice.stop();
                throw e;
            }
        }
    }

    /**
     * Helidon's cap on any request body: a backstop only, since each route reads its body with its own cap (the
     * module route with the tenant's live {@code max-module-bytes}) and answers with a problem. It is fixed when the
     * server is built, so it is sized from the largest module any plan or live {@code default-max-module-bytes} may
     * allow, never from the start value: a live raise must not be cut here before the route sees the body.
     */
    static long payloadBackstop(SluiceConfig config) {
        return Math.max(config.maxRequestBytes(), dev.sluice.tenancy.plan.Limit.MAX_MODULE_BYTES.max()) + 65536;
    }
}
