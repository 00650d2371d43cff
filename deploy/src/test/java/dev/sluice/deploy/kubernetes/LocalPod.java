package dev.sluice.deploy.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.FileConfigSource;
import dev.sluice.deploy.support.SluiceProcess;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A rendered Deployment's pod stood in for on this machine by the real Sluice jar ({@link SluiceProcess#jar}): its
 * sluice.conf is the layout's own, changed only where a pod and this machine differ ({@link #LOCAL_KEYS}), and its
 * probes are asked as the kubelet asks them.
 */
final class LocalPod {
    /** The keys a test may change from the layout's configuration; everything else is what the pod runs with. */
    static final Set<String> LOCAL_KEYS = Set.of("host", "port", "worker-host", "worker-port",
            "metrics-host", "metrics-port", "data-dir", "redis-uri", "worker-dns-name");
    /** Generous for a JVM start on two busy cores. */
    static final Duration START = Duration.ofSeconds(120);

    private LocalPod() {
    }

    /**
     * The layout's sluice.conf for this Deployment with only {@link #LOCAL_KEYS} changed, written to
     * {@code dir/name/sluice.conf}, with its data-dir {@code dir/name/data}.
     */
    static Path sluiceConf(Layout layout, Deployment deployment, Path dir, String name, Map<String, String> local) {
        try {
            Map<String, String> values = new LinkedHashMap<>(FileConfigSource.load(layout.sluiceConfFile(deployment,
                    dir.resolve("rendered"))).values());
            Map<String, String> changes = new LinkedHashMap<>(local);
            changes.put("data-dir", dir.resolve(name).resolve("data").toString());
            assertTrue(LOCAL_KEYS.containsAll(changes.keySet()), "only local keys may change: " + changes.keySet());
            values.putAll(changes);
            StringBuilder text = new StringBuilder();
            values.forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
            Path file = Files.createDirectories(dir.resolve(name)).resolve("sluice.conf");
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The startup, liveness and readiness probes as {@code port-name/path}, in that order. */
    static List<String> probes(Container container) {
        return Stream.of(container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe())
                .map(p -> p.getHttpGet().getPort().getStrVal() + p.getHttpGet().getPath()).toList();
    }

    /**
     * Asks each httpGet probe on the port its name resolves to here, as the kubelet would: 200 is success. Readiness
     * may say STARTING for a moment, so each probe is retried for up to a minute.
     */
    static void assertProbesAnswer(String where, Container container, Map<String, Integer> ports,
                                   SluiceProcess process) throws InterruptedException {
        for (Probe probe : List.of(container.getStartupProbe(), container.getLivenessProbe(),
                container.getReadinessProbe())) {
            String portName = probe.getHttpGet().getPort().getStrVal();
            Integer port = ports.get(portName);
            assertTrue(port != null, where + ": probe port " + portName + " is not one this role listens on");
            String path = probe.getHttpGet().getPath();
            assertEquals(200, process.awaitOk(port, path, Duration.ofSeconds(60)).statusCode(),
                    where + ": GET " + path + " on port " + portName);
        }
    }
}
