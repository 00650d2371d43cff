package dev.sluice.gateway;

import dev.sluice.config.SluiceConfig;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.cluster.WorkerDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Worker and gateway roles in this JVM, on loopback with real HTTP (h2c between gateway and workers), for the tests of
 * the hop between them. Workers read modules from the gateway's data directory ({@code <dir>/gateway}), so a function
 * deployed through the gateway runs on any of them without a shared store. After each test it closes what it started
 * and what the test handed it ({@link #closeAtEnd}), last first. Register with
 * {@code @RegisterExtension final InJvmCluster cluster = new InJvmCluster(() -> dir);} where {@code dir} is the
 * test's {@code @TempDir} (read when first needed, after JUnit set it).
 */
final class InJvmCluster implements AfterEachCallback {
    static final String SECRET = "test-worker-secret-0123456789abcdef";

    private final Supplier<Path> dir;
    private final List<AutoCloseable> started = new ArrayList<>();
    private volatile FixedOrderBalancer balancer;

    InJvmCluster(Supplier<Path> dir) {
        this.dir = dir;
    }

    WorkerRole worker(String name) {
        return worker(name, Map.of());
    }

    /** A worker named {@code name} (its id), two pool threads, settings overridden by {@code overrides}. */
    WorkerRole worker(String name, Map<String, String> overrides) {
        Map<String, String> settings = new HashMap<>(Map.of("worker-secret", SECRET, "worker-port", "0",
                "worker-id", name, "data-dir", dir.get().resolve(name).toString(), "workers", "2",
                "worker-module-dir", dir.get().resolve("gateway/modules").toString()));
        settings.putAll(overrides);
        return closeAtEnd(WorkerRole.builder().config(SluiceConfig.defaults().with(settings)).start());
    }

    /** A gateway whose balancer ({@link #balancer()}) tries the workers in the order given. */
    TestServer gateway(WorkerAddress... workers) {
        WorkerDirectory directory = () -> List.of(workers);
        return closeAtEnd(TestServer.start(dir.get().resolve("gateway"), Map.of("worker-secret", SECRET),
                config -> GatewayRole.builder(config, Map.of(), c -> directory, d -> {
                    balancer = new FixedOrderBalancer(d);
                    return balancer;
                })));
    }

    /** The balancer of the last {@link #gateway} started, with the outcomes its picks reported. */
    FixedOrderBalancer balancer() {
        return balancer;
    }

    <T extends AutoCloseable> T closeAtEnd(T closeable) {
        started.add(closeable);
        return closeable;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            for (AutoCloseable c : started.reversed()) {
                c.close();
            }
        } finally {
            started.clear();
        }
    }
}
