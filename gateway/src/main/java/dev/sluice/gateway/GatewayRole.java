package dev.sluice.gateway;

import dev.sluice.config.ClusterConfig;
import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.remote.RemoteDispatcher;
import dev.sluice.gateway.remote.StandInBalancer;
import dev.sluice.gateway.remote.StaticDirectory;
import dev.sluice.scheduler.Dispatcher;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.cluster.Balancer;
import dev.sluice.scheduler.cluster.WorkerDirectory;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code sluice gateway}: the tenant API (tenancy, quotas, usage, deploys) in front of remote workers. It runs no
 * guest code: invocations go to workers over h2c ({@link RemoteDispatcher}); functions are validated and stored here
 * and fetched by the workers by digest. The API process itself is the same {@link Sluice} that {@code serve} runs;
 * this class only supplies its {@link Execution}. Wiring only: the policies live in the classes it wires.
 */
public final class GatewayRole {
    /** How long past a function's timeout a worker's answer may still come (network, the worker's watchdog). */
    static final Duration STALL_MARGIN = Duration.ofSeconds(2);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

    private GatewayRole() {}

    /** A gateway from its configuration: discovery from {@code worker-discovery}, the secret checked now. */
    public static Sluice.Builder builder(SluiceConfig config, Map<String, String> environment) {
        return builder(config, environment, GatewayRole::directory,
                directory -> new StandInBalancer(directory, System::nanoTime));
    }

    /** ... with another discovery (tests, or a directory implementation wired by its caller). */
    static Sluice.Builder builder(SluiceConfig config, Map<String, String> environment,
                                  Function<SluiceConfig, WorkerDirectory> directory,
                                  Function<WorkerDirectory, Balancer> balancer) {
        String secret = config.cluster().requireSecret(environment);
        return Sluice.builder().config(config)
                .execution((c, clock) -> execution(c, clock, secret, directory, balancer));
    }

    private static Execution execution(SluiceConfig config, InstantSource clock, String secret,
                                       Function<SluiceConfig, WorkerDirectory> directories,
                                       Function<WorkerDirectory, Balancer> balancers) {
        // Stand-in until the shared function registry: the data directory's, without worker threads. It still
        // compiles in the background (its cache's way); a deploy does not wait for that here (budget 0).
        LocalScheduler registry = LocalScheduler.openWithoutWorkers(
                Sluice.schedulerSettings(config).withCompileBudgetMillis(0), config.dataDir(), clock);
        WorkerDirectory directory;
        Balancer balancer;
        try {
            directory = directories.apply(config);
            balancer = balancers.apply(directory);
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
        RemoteDispatcher dispatcher = RemoteDispatcher.create(balancer, secret, System::nanoTime, CONNECT_TIMEOUT,
                STALL_MARGIN);
        return new Execution() {
            @Override
            public FunctionRegistry functions() {
                return registry.functions();
            }

            @Override
            public Dispatcher dispatcher() {
                return dispatcher;
            }

            @Override
            public void close() {
                dispatcher.close();
                directory.close();
                registry.close();
            }
        };
    }

    private static WorkerDirectory directory(SluiceConfig config) {
        ClusterConfig cluster = config.cluster();
        return switch (cluster.workerDiscovery()) {
            case "static" -> {
                if (cluster.workerAddresses().isEmpty()) {
                    throw new ConfigException("worker-addresses: empty (expected: the workers' host:port, "
                            + "comma-separated, when worker-discovery = static)");
                }
                yield StaticDirectory.of(cluster.workerAddresses(), cluster.effectiveMaxConcurrency(config.workers()));
            }
            default -> throw new ConfigException("worker-discovery: '" + cluster.workerDiscovery()
                    + "' is not available in this build yet (expected: static)");
        };
    }
}
