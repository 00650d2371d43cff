package dev.sluice.gateway;

import dev.sluice.gateway.tracing.Tracing;
import dev.sluice.config.ClusterConfig;
import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.http.ProblemDirectHandler;
import dev.sluice.gateway.metrics.MetricsService;
import dev.sluice.gateway.metrics.SluiceMetrics;
import dev.sluice.gateway.tracing.OtlpExport;
import dev.sluice.gateway.remote.InternalProtocol;
import dev.sluice.gateway.remote.WorkerService;
import dev.sluice.gateway.remote.WorkerTrees;
import dev.sluice.scheduler.DiskModuleStore;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.SchedulerSettings;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.cluster.WorkerRegistration;
import dev.sluice.scheduler.redis.RedisModuleStore;
import dev.sluice.scheduler.redis.RedisWorkerRegistration;
import dev.sluice.scheduler.redis.SchedulerRedis;
import dev.sluice.scheduler.assets.FunctionAssets;
import dev.sluice.scheduler.shared.ModuleStore;
import io.helidon.webserver.WebServer;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code sluice worker}: the sandbox and its worker threads behind an internal h2c port, and nothing else (no
 * tenancy, no quotas, no tenant routes). Gateways call it with the shared worker secret; it runs each invocation on
 * the worker scheduler of {@link LocalScheduler#openWorker}, which fetches a module by digest on its first use,
 * verifies it and compiles it once: from Redis ({@link RedisModuleStore}) with {@code tenancy-store = redis}, else from
 * the gateway's module files ({@code worker-module-dir}, same machine). With {@code worker-discovery = redis} it
 * advertises itself by a heartbeat ({@link RedisWorkerRegistration}); one Redis connection serves both. With
 * {@code metrics-port}, its management listener serves {@code /metrics} and {@code /health}, {@code /health/ready}
 * ({@link WorkerReadiness}) without the secret, for Kubernetes' probes. Stopping (SIGTERM) turns unready and
 * deregisters first, then refuses new work and lets running invocations finish within {@code shutdown-grace-ms}.
 * Wiring only.
 */
public final class WorkerRole implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerRole.class.getName());
    /** How long Helidon lets a connection finish once the port closes (its default is 0.5 s). */
    static final Duration LISTENER_GRACE = Duration.ofSeconds(2);
    /** How long after the last answer a stopping worker keeps its port open, so gateways read it (WorkerService). */
    static final Duration ANSWER_QUIET = Duration.ofSeconds(1);

    private final SluiceConfig config;
    private final DataDirLock dataDirLock;
    private final LocalScheduler scheduler;
    private final WorkerService service;
    private final WebServer server;
    private final String id;
    private final Function<WorkerAddress, WorkerRegistration> registrar;
    private final SluiceMetrics metrics;
    private final WorkerReadiness readiness;
    private WorkerRegistration registration;
    private boolean stopped;
    private final Tracing tracing;

    private WorkerRole(Builder builder) {
        // $SLUICE_REDIS_URI when the configuration sets no redis-uri: for the module store and the heartbeat alike.
        this.config = builder.config.withEnvironment(builder.environment);
        ClusterConfig cluster = config.cluster();
        String secret = cluster.requireSecret(builder.environment);
        this.id = cluster.effectiveWorkerId();
        this.readiness = new WorkerReadiness(id);
        Opened opened = new Opened();
        try {
            // The compiled-module cache is this worker's alone.
            this.dataDirLock = opened.add(DataDirLock.acquire(config.dataDir()));
            // The pool's load and the Redis commands, on metrics-port when it is set (the worker has no admin token).
            this.metrics = opened.add(SluiceMetrics.create(System::nanoTime,
                    OtlpExport.metricReaders(config.tracing())));
            // One scheduler-side Redis connection for the module store and the heartbeat; closed by the scheduler.
            Optional<SchedulerRedis> redis = needsRedis(config)
                    ? Optional.of(SchedulerRedis.open(SchedulerRedis.Settings.from(config.stores())
                            .withCalls(metrics::redisCommand)))
                    : Optional.empty();
            WorkerTrees trees;
            try {
                ModuleStore modules = moduleStore(config, redis);
                // Function asset trees: fetched into this data directory, from where the gateways keep them.
                FunctionAssets fetched = FunctionAssets.open(config.dataDir());
                trees = config.stores().sharedTenancy() ? WorkerTrees.shared(fetched, modules)
                        : WorkerTrees.besideModules(fetched, Path.of(cluster.workerModuleDir()));
                this.registrar = builder.registrar.orElseGet(() -> registrar(config, redis));
                this.scheduler = opened.add(LocalScheduler.openWorker(settings(config), config.dataDir(),
                        InstantSource.system(), modules, redis.<AutoCloseable>map(r -> r).orElse(() -> { }),
                        metrics::moduleCompiled));
            } catch (RuntimeException | Error e) {
                redis.ifPresent(SchedulerRedis::close);
                throw e;
            }
            metrics.observeWorkers(scheduler::load);
            // Traces (tracing = on): each call's queue wait and run, children of the gateway's dispatch span.
            this.tracing = opened.add(Tracing.create(config.tracing(), "sluice-worker"));
            metrics.spansDropped(tracing::spansDropped);
            this.service = WorkerService.create(id, secret, scheduler.dispatcher(),
                    cluster.effectiveMaxConcurrency(config.workers()),
                    // The tenant's body plus its CGI environment (bounded by the gateway's header limits) and the
                    // function's secrets.
                    config.maxRequestBytes() + (1 << 20) + InternalProtocol.MAX_SECRETS_BYTES, tracing, trees);
            ConnectionLimits limits = builder.limits.orElseGet(() -> ConnectionLimits.forWorker(
                    cluster.effectiveMaxConcurrency(config.workers())));
            this.server = WebServer.builder()
                    .host(cluster.workerHost())
                    .port(cluster.workerPort())
                    .shutdownHook(false)
                    // Stopping waits for every answer to be written (WorkerService.awaitIdle) before the port closes;
                    // this is a margin for bytes still queued on a connection when Helidon closes it.
                    .shutdownGracePeriod(LISTENER_GRACE)
                    // h2c (prior knowledge) for gateways; HTTP/1.1 too, for probes and operators' curl.
                    .protocolsDiscoverServices(false)
                    .addProtocol(io.helidon.webserver.http1.Http1Config.create())
                    .addProtocol(io.helidon.webserver.http2.Http2Config.builder()
                            .maxConcurrentStreams(limits.maxStreamsPerConnection()).build())
                    // Anyone who reaches the port can connect before the secret is checked: bound what they hold.
                    .maxTcpConnections(limits.maxConnections())
                    .maxConcurrentRequests(limits.maxConcurrentRequests())
                    .idleConnectionTimeout(limits.idleTimeout())
                    .idleConnectionPeriod(limits.idlePeriod())
                    // Blocking socket streams, which honour the read timeout (Helidon's NIO sockets do not).
                    .useNio(false)
                    .connectionOptions(new ReadTimeoutOptions(
                            io.helidon.common.socket.SocketOptions.builder().tcpNoDelay(true).build(),
                            limits.readTimeout()))
                    .maxPayloadSize(config.maxRequestBytes() + (2 << 20) + InternalProtocol.MAX_SECRETS_BYTES)
                    .routing(service::routing)
                    .directHandlers(ProblemDirectHandler.handlers())
                    // metrics-port: /metrics and the worker's readiness, without authentication, on a listener of
                    // its own (none by default): where Kubernetes probes a worker.
                    .sockets(MetricsService.managementSockets(config.metrics(), metrics, readiness))
                    .build();
        } catch (RuntimeException | Error e) {
            opened.closeAll();
            throw e;
        }
    }

    /**
     * Bounds on what peers of the internal port may hold, authenticated or not (the secret is checked per request,
     * after a connection is accepted). Helidon refuses a stream over {@code maxStreamsPerConnection} with
     * {@code REFUSED_STREAM}, stops accepting at {@code maxConnections} (new connections wait in the kernel's
     * backlog), answers a request over {@code maxConcurrentRequests} with a plain 503, and closes a connection with
     * no request for {@code idleTimeout} (checked every {@code idlePeriod}). A connection that never sends a
     * complete request is not "idle" to Helidon 4.5.0 (it is not yet identified as HTTP/1 or HTTP/2, and the listener
     * sets no read timeout of its own), so {@code readTimeout} (the socket's SO_TIMEOUT) drops it instead.
     */
    record ConnectionLimits(int maxConnections, long maxStreamsPerConnection, int maxConcurrentRequests,
                            Duration idleTimeout, Duration idlePeriod, Duration readTimeout) {
        /** Streams over the gateways' limit a connection may still open: answers in flight, health checks. */
        static final int STREAM_HEADROOM = 64;
        /**
         * Every gateway keeps one h2 connection and opens short HTTP/1.1 health checks; 256 is far above any
         * deployment's gateway count, and far below a process's file descriptors.
         */
        static final int MAX_CONNECTIONS = 256;
        /**
         * Above the gateway's own idle close (two minutes), so an idle connection is closed by the gateway first and a
         * call never races a worker's GOAWAY.
         */
        static final Duration IDLE_TIMEOUT = Duration.ofMinutes(5);
        /**
         * A socket read timeout also fires while a connection waits, silent, for a long call's answer to be written:
         * above the longest function timeout ({@code default-max-timeout-ms} is at most one hour) with margin.
         */
        static final Duration READ_TIMEOUT = Duration.ofMinutes(65);

        ConnectionLimits {
            positive("max-connections", maxConnections);
            positive("max-streams-per-connection", maxStreamsPerConnection);
            positive("max-concurrent-requests", maxConcurrentRequests);
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            Objects.requireNonNull(idlePeriod, "idlePeriod");
            Objects.requireNonNull(readTimeout, "readTimeout");
            if (idleTimeout.isNegative() || idleTimeout.isZero() || idlePeriod.isNegative() || idlePeriod.isZero()
                    || readTimeout.toMillis() < 1 || readTimeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("idle-timeout: " + idleTimeout + ", idle-period: " + idlePeriod
                        + ", read-timeout: " + readTimeout + " (expected: > 0, read-timeout in int milliseconds)");
            }
        }

        private static void positive(String name, long value) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
            }
        }

        /**
         * For a worker admitting {@code maxConcurrency} invocations: one gateway's connection may carry all of them
         * plus headroom; all connections together four times as many (several gateways, each refused quickly with
         * {@code worker-busy} beyond the limit, so Helidon's plain 503 is a backstop only).
         */
        static ConnectionLimits forWorker(int maxConcurrency) {
            return new ConnectionLimits(MAX_CONNECTIONS, (long) maxConcurrency + STREAM_HEADROOM,
                    4 * maxConcurrency + 4 * STREAM_HEADROOM, IDLE_TIMEOUT, Duration.ofSeconds(30), READ_TIMEOUT);
        }
    }

    /**
     * Helidon's socket options plus SO_TIMEOUT on every accepted socket: Helidon 4.5.0's listener reads with no
     * timeout, so a peer that connects and never sends a request would hold its connection (and one of
     * {@code maxConnections}) for ever. With {@code useNio(false)} the reads go through the socket's stream, which
     * honours SO_TIMEOUT (Helidon's default NIO socket reads the channel, which does not).
     */
    private record ReadTimeoutOptions(io.helidon.common.socket.SocketOptions options, Duration readTimeout)
            implements io.helidon.common.socket.SocketOptions {
        @Override
        public void configureSocket(java.nio.channels.SocketChannel channel) {
            options.configureSocket(channel);
            try {
                channel.socket().setSoTimeout((int) readTimeout.toMillis());
            } catch (java.net.SocketException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void configureSocket(java.net.Socket socket) {
            options.configureSocket(socket);
        }

        @Override
        public Map<java.net.SocketOption<?>, Object> socketOptions() {
            return options.socketOptions();
        }

        @Override
        public Duration connectTimeout() {
            return options.connectTimeout();
        }

        @Override
        public Optional<Integer> socketReceiveBufferSize() {
            return options.socketReceiveBufferSize();
        }

        @Override
        public Optional<Integer> socketSendBufferSize() {
            return options.socketSendBufferSize();
        }

        @Override
        public boolean socketReuseAddress() {
            return options.socketReuseAddress();
        }

        @Override
        public boolean socketKeepAlive() {
            return options.socketKeepAlive();
        }

        @Override
        public boolean tcpNoDelay() {
            return options.tcpNoDelay();
        }
    }


    /**
     * The pool without its per-tenant cap and reserve: sharing between tenants is the gateways' business (their
     * balancer queues per tenant, their quotas cap each tenant), and a cap here would queue a tenant's calls on an
     * idle worker. The worker only bounds its total, at {@code worker-max-concurrency}.
     */
    private static SchedulerSettings settings(SluiceConfig config) {
        SchedulerSettings serve = Sluice.schedulerSettings(config);
        int max = config.cluster().effectiveMaxConcurrency(config.workers());
        return new SchedulerSettings(serve.workers(), serve.workers(), Math.max(serve.queuePerTenant(), max),
                serve.maxStdoutBytes(), serve.maxStderrBytes(), serve.workerStackBytes(), serve.compileBudgetMillis(),
                serve.compileThreads(), 0);
    }

    private static boolean needsRedis(SluiceConfig config) {
        return config.stores().sharedTenancy() || config.cluster().workerDiscovery().equals("redis");
    }

    /** Where the gateways keep module bytes: Redis with shared tenancy, else their data directory's files. */
    private static ModuleStore moduleStore(SluiceConfig config, Optional<SchedulerRedis> redis) {
        if (config.stores().sharedTenancy()) {
            return RedisModuleStore.create(redis.orElseThrow());
        }
        ClusterConfig cluster = config.cluster();
        if (cluster.workerModuleDir().isBlank()) {
            throw new ConfigException("worker-module-dir: missing (expected: the directory holding the gateway's "
                    + "module files, <gateway data-dir>/modules, when tenancy-store is not redis)");
        }
        return DiskModuleStore.directory(Path.of(cluster.workerModuleDir()));
    }

    /** Redis discovery: a heartbeat under the worker's id; static and DNS discovery need no advertisement. */
    private static Function<WorkerAddress, WorkerRegistration> registrar(SluiceConfig config,
                                                                         Optional<SchedulerRedis> redis) {
        if (!config.cluster().workerDiscovery().equals("redis")) {
            return address -> () -> { };
        }
        Duration heartbeat = Duration.ofMillis(config.cluster().workerHeartbeatMs());
        return address -> RedisWorkerRegistration.start(redis.orElseThrow(), address, heartbeat);
    }

    public static Builder builder() {
        return new Builder();
    }

    private WorkerRole start() {
        server.start();
        if (!server.isRunning() || server.port() < 0) {
            throw new ConfigException("worker-port: cannot listen on " + config.cluster().workerHost() + ":"
                    + config.cluster().workerPort() + " (address in use, or not allowed)");
        }
        // Every port first: a worker that cannot serve as configured is never advertised to gateways.
        if (config.metrics().enabled() && metricsPort() < 0) {
            throw new ConfigException("metrics-port: cannot listen on " + config.metrics().metricsHost() + ":"
                    + config.metrics().metricsPort() + " (address in use, or not allowed)");
        }
        registration = registrar.apply(address());
        readiness.ready();
        LOG.log(Level.INFO, "Sluice worker " + id + " listening on h2c://" + config.cluster().workerHost() + ":"
                + server.port());
        if (config.metrics().enabled()) {
            LOG.log(Level.INFO, "Sluice worker " + id + " serving /metrics and /health on http://"
                    + config.metrics().metricsHost() + ":" + metricsPort() + " (no authentication)");
        }
        return this;
    }

    /** How gateways reach this worker. */
    public WorkerAddress address() {
        return new WorkerAddress(id, config.cluster().effectiveAdvertiseHost(), server.port(),
                config.cluster().effectiveMaxConcurrency(config.workers()));
    }

    public int port() {
        return server.port();
    }

    /** The management listener's port ({@code metrics-port}), or -1 when there is none. */
    public int metricsPort() {
        return config.metrics().enabled() ? server.port(MetricsService.SOCKET) : -1;
    }

    public String id() {
        return id;
    }

    /** Invocations admitted since start (each ran here once); for tests that count executions. */
    public long started() {
        return service.started();
    }

    /**
     * Graceful stop: deregister, refuse new work ({@code 503 worker-busy}, which gateways retry elsewhere), let
     * running invocations finish and their answers be written within {@code shutdown-grace-ms}, keep the port open
     * for {@link #ANSWER_QUIET} after the last answer (what is left of the grace at most), then close the port and
     * the workers.
     */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        GracePeriod grace = GracePeriod.start(config.shutdownGraceMs());
        drain();
        grace.awaitIdle(service::awaitIdle);
        try {
            service.awaitQuiet(ANSWER_QUIET.toMillis(), grace.remainingMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            server.stop();
            scheduler.dispatcher().shutdown(grace.remainingMillis());
        } finally {
            Opened.closeQuietly(scheduler);
            Opened.closeQuietly(metrics);
            Opened.closeQuietly(tracing);
            dataDirLock.close();
        }
    }

    /**
     * Turns unready, deregisters and refuses new work; running invocations go on. The first step of
     * {@link #stop()}.
     */
    synchronized void drain() {
        readiness.draining();
        if (registration != null) {
            Opened.closeQuietly(registration);
            registration = null;
        }
        service.drain();
    }

    @Override
    public void close() {
        stop();
    }


    /** Assembles a worker; every collaborator has a production default. */
    public static final class Builder {
        private SluiceConfig config = SluiceConfig.defaults();
        private Map<String, String> environment = Map.of();
        private Optional<Function<WorkerAddress, WorkerRegistration>> registrar = Optional.empty();
        private Optional<ConnectionLimits> limits = Optional.empty();

        private Builder() {}

        /** Other limits on the internal port than {@link ConnectionLimits#forWorker} (tests: small, quick ones). */
        Builder limits(ConnectionLimits limits) {
            this.limits = Optional.of(Objects.requireNonNull(limits, "limits"));
            return this;
        }

        public Builder config(SluiceConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Where {@code SLUICE_WORKER_SECRET} is read when the configuration has no {@code worker-secret}, and
         * {@code SLUICE_REDIS_URI} when it has no {@code redis-uri}.
         */
        public Builder environment(Map<String, String> environment) {
            this.environment = Map.copyOf(environment);
            return this;
        }


        /**
         * Advertises the worker once it listens, instead of the configured way (a Redis heartbeat with
         * {@code worker-discovery = redis}, nothing for static and DNS discovery).
         */
        public Builder registration(Function<WorkerAddress, WorkerRegistration> registrar) {
            this.registrar = Optional.of(Objects.requireNonNull(registrar, "registrar"));
            return this;
        }

        public WorkerRole start() {
            WorkerRole worker = new WorkerRole(this);
            try {
                return worker.start();
            } catch (RuntimeException e) {
                worker.stop();
                throw e;
            }
        }
    }
}
