package dev.sluice.gateway;

import dev.sluice.config.ClusterConfig;
import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.http.ProblemDirectHandler;
import dev.sluice.gateway.remote.WorkerService;
import dev.sluice.scheduler.SchedulerSettings;
import dev.sluice.scheduler.WorkerScheduler;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.cluster.WorkerRegistration;
import dev.sluice.scheduler.shared.ModuleStore;
import io.helidon.webserver.WebServer;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code sluice worker}: the sandbox and its worker threads behind an internal h2c port, and nothing else (no
 * tenancy, no quotas, no tenant routes). Gateways call it with the shared worker secret; it runs each invocation on
 * its {@link WorkerScheduler}, fetching modules by digest. Stopping (SIGTERM) deregisters first, then refuses new
 * work and lets running invocations finish within {@code shutdown-grace-ms}. Wiring only.
 */
public final class WorkerRole implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerRole.class.getName());

    private final SluiceConfig config;
    private final DataDirLock dataDirLock;
    private final WorkerScheduler scheduler;
    private final WorkerService service;
    private final WebServer server;
    private final String id;
    private final Function<WorkerAddress, WorkerRegistration> registrar;
    private WorkerRegistration registration;
    private boolean stopped;

    private WorkerRole(Builder builder) {
        this.config = builder.config;
        ClusterConfig cluster = config.cluster();
        String secret = cluster.requireSecret(builder.environment);
        this.id = cluster.effectiveWorkerId();
        this.registrar = builder.registrar;
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            // The compiled-module cache is this worker's alone.
            this.dataDirLock = opened(opened, DataDirLock.acquire(config.dataDir()));
            ModuleStore modules = builder.modules.orElseGet(() -> moduleStore(cluster));
            this.scheduler = opened(opened, WorkerScheduler.open(settings(config), config.dataDir(), modules));
            this.service = WorkerService.create(id, secret, scheduler,
                    cluster.effectiveMaxConcurrency(config.workers()),
                    // The tenant's body plus its CGI environment (bounded by the gateway's header limits).
                    config.maxRequestBytes() + (1 << 20));
            this.server = WebServer.builder()
                    .host(cluster.workerHost())
                    .port(cluster.workerPort())
                    .shutdownHook(false)
                    // h2c (prior knowledge) for gateways; HTTP/1.1 too, for probes and operators' curl.
                    .protocolsDiscoverServices(false)
                    .addProtocol(io.helidon.webserver.http1.Http1Config.create())
                    .addProtocol(io.helidon.webserver.http2.Http2Config.create())
                    .connectionOptions(options -> options.tcpNoDelay(true))
                    .maxPayloadSize(config.maxRequestBytes() + (2 << 20))
                    .routing(service::routing)
                    .directHandlers(ProblemDirectHandler.handlers())
                    .build();
        } catch (RuntimeException | Error e) {
            opened.reversed().forEach(WorkerRole::closeQuietly);
            throw e;
        }
    }

    private static <T extends AutoCloseable> T opened(List<AutoCloseable> opened, T closeable) {
        opened.add(closeable);
        return closeable;
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

    private static ModuleStore moduleStore(ClusterConfig cluster) {
        if (cluster.workerModuleDir().isBlank()) {
            throw new ConfigException("worker-module-dir: missing (expected: the directory holding the gateways' "
                    + "module files, <gateway data-dir>/modules, shared with this worker)");
        }
        return WorkerScheduler.moduleDirectory(Path.of(cluster.workerModuleDir()));
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
        registration = registrar.apply(address());
        LOG.log(Level.INFO, "Sluice worker " + id + " listening on h2c://" + config.cluster().workerHost() + ":"
                + server.port());
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

    public String id() {
        return id;
    }

    /** Invocations admitted since start (each ran here once); for tests that count executions. */
    public long started() {
        return service.started();
    }

    /**
     * Graceful stop: deregister, refuse new work ({@code 503 worker-busy}, which gateways retry elsewhere), let
     * running invocations finish within {@code shutdown-grace-ms}, then close the port and the workers.
     */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        long deadline = System.nanoTime() + config.shutdownGraceMs() * 1_000_000;
        drain();
        try {
            if (!service.awaitIdle(config.shutdownGraceMs())) {
                LOG.log(Level.WARNING, "shutdown grace period over with invocations still running; stopping them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            server.stop();
            scheduler.shutdown(Math.max(0, (deadline - System.nanoTime()) / 1_000_000));
        } finally {
            closeQuietly(scheduler);
            dataDirLock.close();
        }
    }

    /** Deregisters and refuses new work; running invocations go on. The first step of {@link #stop()}. */
    synchronized void drain() {
        if (registration != null) {
            closeQuietly(registration);
            registration = null;
        }
        service.drain();
    }

    @Override
    public void close() {
        stop();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "while stopping: " + e.getMessage());
        }
    }

    /** Assembles a worker; every collaborator has a production default. */
    public static final class Builder {
        private SluiceConfig config = SluiceConfig.defaults();
        private Map<String, String> environment = Map.of();
        private Optional<ModuleStore> modules = Optional.empty();
        private Function<WorkerAddress, WorkerRegistration> registrar = address -> () -> { };

        private Builder() {}

        public Builder config(SluiceConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Where {@code SLUICE_WORKER_SECRET} is read when the configuration has no {@code worker-secret}. */
        public Builder environment(Map<String, String> environment) {
            this.environment = Map.copyOf(environment);
            return this;
        }

        /** The module store to fetch modules from, instead of the configured one. */
        public Builder modules(ModuleStore modules) {
            this.modules = Optional.of(modules);
            return this;
        }

        /**
         * Advertises the worker once it listens (a Redis heartbeat, say); the default advertises nothing, as static
         * and DNS discovery need.
         */
        public Builder registration(Function<WorkerAddress, WorkerRegistration> registrar) {
            this.registrar = Objects.requireNonNull(registrar, "registrar");
            return this;
        }

        public WorkerRole start() {
            if (!config.cluster().workerDiscovery().equals("static")
                    && !config.cluster().workerDiscovery().equals("dns")) {
                LOG.log(Level.WARNING, "worker-discovery = " + config.cluster().workerDiscovery()
                        + ": this worker advertises itself only through the registration it is given");
            }
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
