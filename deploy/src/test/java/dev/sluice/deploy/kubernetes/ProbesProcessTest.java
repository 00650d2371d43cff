package dev.sluice.deploy.kubernetes;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.deploy.support.SluiceProcess;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probes of the all-in-one Deployment asked of the real Sluice jar, started with the layout's own sluice.conf
 * changed only where a pod and this machine differ ({@link LocalPod}): what the kubelet would get. A probe path
 * Sluice does not serve, or a probe on the wrong port, fails here rather than as a pod that never turns ready. The
 * distributed layout's probes, and a call through it, are {@link DistributedLayoutProcessTest}'s.
 */
class ProbesProcessTest {
    @TempDir
    Path dir;

    @Test
    void theAllInOneServerAnswersEveryProbeOfItsDeploymentAndStopsWithinItsGrace() throws Exception {
        Layout layout = Layout.of("all-in-one");
        Deployment deployment = layout.deployment("sluice");
        Map<String, Integer> ports = Map.of("http", SluiceProcess.freePort(), "metrics", SluiceProcess.freePort());
        Path conf = LocalPod.sluiceConf(layout, deployment, dir, "server", Map.of("host", "127.0.0.1",
                "port", ports.get("http").toString(), "metrics-host", "127.0.0.1",
                "metrics-port", ports.get("metrics").toString()));
        SluiceProcess server = SluiceProcess.jar("serve", conf, Map.of());
        try {
            server.awaitServing(LocalPod.START);
            LocalPod.assertProbesAnswer("all-in-one sluice", Layout.sluiceContainer(deployment), ports, server);
            String scrape = SluiceProcess.get(ports.get("metrics"), "/metrics").body();
            assertTrue(scrape.contains("sluice_worker_queued"),
                    "the metrics port's scrape lacks sluice_worker_queued, an autoscaling series");
        } finally {
            long grace = deployment.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
            long preStop = Layout.sluiceContainer(deployment).getLifecycle().getPreStop().getSleep().getSeconds();
            long started = System.nanoTime();
            boolean exited = server.terminate(Duration.ofSeconds(grace - preStop));
            server.close();
            assertTrue(exited, "serve did not exit within terminationGracePeriodSeconds - preStop = "
                    + (grace - preStop) + " s of SIGTERM (took " + Duration.ofNanos(System.nanoTime() - started)
                    + "):\n" + server.output());
        }
    }
}
