package dev.sluice.gateway;

import dev.sluice.config.CallListener;
import dev.sluice.config.ClusterConfig;
import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.remote.RemoteDispatcher;
import dev.sluice.gateway.remote.WorkerHealthProbe;
import dev.sluice.scheduler.Dispatcher;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.cluster.Balancer;
import dev.sluice.scheduler.cluster.BalancerSettings;
import dev.sluice.scheduler.cluster.ClusterBalancer;
import dev.sluice.scheduler.cluster.DnsWorkerDirectory;
import dev.sluice.scheduler.cluster.StaticWorkerDirectory;
import dev.sluice.scheduler.cluster.WorkerDirectory;
import dev.sluice.scheduler.cluster.WorkerHealthCheck;
import dev.sluice.scheduler.redis.RedisFunctionIndex;
import dev.sluice.scheduler.redis.RedisModuleStore;
import dev.sluice.scheduler.redis.RedisWorkerDirectory;
import dev.sluice.scheduler.redis.SchedulerRedis;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code sluice gateway}: the tenant API (tenancy, quotas, usage, deploys) in front of remote workers. It runs no
 * guest code: invocations go to workers over h2c ({@link RemoteDispatcher}), placed by the {@link ClusterBalancer}
 * over the directory {@code worker-discovery} names (static, redis or dns), which health-checks ejected workers over
 * their internal port. Functions are validated and stored here and fetched by the workers by digest: with
 * {@code tenancy-store = redis} in Redis, shared by every gateway and worker; otherwise in this gateway's data
 * directory, which workers read through {@code worker-module-dir} (one machine). One Redis connection serves the
 * registry and the discovery. The API process itself is the same {@link Sluice} that {@code serve} runs; this class
 * only supplies its {@link Execution}. Wiring only: the policies live in the classes it wires.
 */
public final class GatewayRole {
    /** How long past a function's timeout a worker's answer may still come (network, the worker's watchdog). */
    static final Duration STALL_MARGIN = Duration.ofSeconds(2);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

    private GatewayRole() {}

    /** Opens the directory; {@code redis} is the process's one scheduler connection, opened on first use. */
    @FunctionalInterface
    interface Directories {
        WorkerDirectory open(SluiceConfig config, Function<SluiceConfig, SchedulerRedis> redis);
    }

    @FunctionalInterface
    interface Balancers {
        Balancer open(WorkerDirectory directory, WorkerHealthCheck health);
    }

    /** A gateway from its configuration: discovery from {@code worker-discovery}, the secret checked now. */
    public static Sluice.Builder builder(SluiceConfig config, Map<String, String> environment) {
        return builder(config, environment, GatewayRole::directory, (d, health) -> balancer(d, health, config));
    }

    /** ... with another discovery and balancer (tests). */
    static Sluice.Builder builder(SluiceConfig config, Map<String, String> environment,
                                  Function<SluiceConfig, WorkerDirectory> directory,
                                  Function<WorkerDirectory, Balancer> balancer) {
        return builder(config, environment, (c, redis) -> directory.apply(c), (d, health) -> balancer.apply(d));
    }

    private static Sluice.Builder builder(SluiceConfig config, Map<String, String> environment,
                                          Directories directories, Balancers balancers) {
        if (!config.vault().enabled()) {
            config.cluster().requireSecret(environment); // checked now; with Vault, its config may supply it
        }
        return Sluice.builder().config(config).environment(environment)
                .measuredExecution((c, clock, metrics) -> execution(c, clock, c.cluster().requireSecret(environment),
                        directories, balancers, metrics::redisCommand));
    }

    private static Execution execution(SluiceConfig config, InstantSource clock, String secret,
                                       Directories directories, Balancers balancers,
                                       CallListener redisCalls) {
        Opened opened = new Opened(); // closed in reverse on failure, and by close()
        try {
            RedisHolder redis = opened.add(new RedisHolder(redisCalls));
            FunctionRegistry functions;
            if (config.stores().sharedTenancy()) {
                // Deploy once: metadata and module bytes in Redis, seen by every gateway and worker.
                SchedulerRedis connection = redis.open(config);
                functions = LocalScheduler.sharedRegistry(clock, RedisModuleStore.create(connection),
                        RedisFunctionIndex.create(connection));
            } else {
                // The data directory's registry, without worker threads; workers on this machine read its module
                // files (worker-module-dir). It validates and stores but compiles nothing: workers compile.
                functions = opened.add(LocalScheduler.openWithoutWorkers(
                        Sluice.schedulerSettings(config), config.dataDir(), clock)).functions();
            }
            WorkerDirectory directory = opened.add(directories.open(config, redis::open));
            WorkerHealthProbe health = opened.add(WorkerHealthProbe.create(secret, CONNECT_TIMEOUT));
            Balancer balancer = balancers.open(directory, health);
            // The dispatcher closes the balancer (its shutdown, before close() below).
            RemoteDispatcher dispatcher = RemoteDispatcher.create(balancer, secret, System::nanoTime,
                    CONNECT_TIMEOUT, STALL_MARGIN);
            List<AutoCloseable> resources = opened.all();
            return new Execution() {
                @Override
                public FunctionRegistry functions() {
                    return functions;
                }

                @Override
                public Dispatcher dispatcher() {
                    return dispatcher;
                }

                @Override
                public void close() {
                    dispatcher.close();
                    Opened.closeAll(resources);
                }
            };
        } catch (RuntimeException | Error e) {
            opened.closeAll();
            throw e;
        }
    }



    /** The process's one scheduler-side Redis connection (registry, module store, discovery), opened when needed. */
    private static final class RedisHolder implements AutoCloseable {
        private final CallListener calls;
        private SchedulerRedis connection;

        RedisHolder(CallListener calls) {
            this.calls = calls;
        }

        synchronized SchedulerRedis open(SluiceConfig config) {
            if (connection == null) {
                connection = SchedulerRedis.open(SchedulerRedis.Settings.from(config.stores()).withCalls(calls));
            }
            return connection;
        }

        @Override
        public synchronized void close() {
            if (connection != null) {
                connection.close();
            }
        }
    }

    static WorkerDirectory directory(SluiceConfig config, Function<SluiceConfig, SchedulerRedis> redis) {
        ClusterConfig cluster = config.cluster();
        int maxConcurrency = cluster.effectiveMaxConcurrency(config.workers());
        return switch (cluster.workerDiscovery()) {
            case "static" -> {
                if (cluster.workerAddresses().isEmpty()) {
                    throw new ConfigException("worker-addresses: empty (expected: the workers' host:port, "
                            + "comma-separated, when worker-discovery = static)");
                }
                try {
                    yield StaticWorkerDirectory.parse(String.join(",", cluster.workerAddresses()), maxConcurrency);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(e.getMessage());
                }
            }
            case "redis" -> RedisWorkerDirectory.start(redis.apply(config), RedisWorkerDirectory.REFRESH);
            case "dns" -> DnsWorkerDirectory.builder(cluster.workerDnsName(), cluster.workerPort(), maxConcurrency)
                    .build();
            default -> throw new ConfigException("worker-discovery: '" + cluster.workerDiscovery()
                    + "' (expected: static, redis or dns)");
        };
    }

    /**
     * Placement: the gateway's own quotas already cap each tenant's concurrency, so the balancer adds no per-tenant
     * cap; its fair queue bounds each tenant's waiting calls by {@code tenant-queue}. One slot per worker (as this
     * gateway sees it) is kept for tenants running nothing here: other gateways fill the same workers, and without
     * it a tenant flooding this gateway would take every slot a worker frees, leaving none for a tenant arriving
     * through another gateway (see docs/placement.md, "Busy workers and other gateways").
     */
    private static Balancer balancer(WorkerDirectory directory, WorkerHealthCheck health, SluiceConfig config) {
        return ClusterBalancer.builder(directory).healthCheck(health)
                .settings(BalancerSettings.defaults().withQueueing(Integer.MAX_VALUE, config.tenantQueue(), 1))
                .build();
    }
}
