package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.remote.WorkerHealthProbe;
import dev.sluice.scheduler.cluster.WorkerAddress;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The balancer's health check against a real worker: an ejected worker rejoins only when it answers its authenticated
 * health route with 200, so a draining worker, a worker with another secret and a dead port all stay out.
 */
class WorkerHealthProbeTest {
    private static final String SECRET = RemoteDispatchTest.SECRET;

    @TempDir
    Path dir;

    @Test
    void aWorkerIsHealthyOnlyWhenItAnswersWithTheSecretAndIsNotDraining() throws IOException {
        int dead;
        try (ServerSocket socket = new ServerSocket(0)) {
            dead = socket.getLocalPort(); // free now, and nothing listens on it
        }
        try (WorkerRole worker = WorkerRole.builder().config(SluiceConfig.defaults().with(Map.of(
                "worker-secret", SECRET, "worker-port", "0", "worker-id", "w", "data-dir", dir.toString(),
                "workers", "1", "worker-module-dir", dir.resolve("modules").toString()))).start();
             WorkerHealthProbe probe = WorkerHealthProbe.create(SECRET, Duration.ofSeconds(5));
             WorkerHealthProbe stranger = WorkerHealthProbe.create(SECRET.replace('0', 'x'), Duration.ofSeconds(5))) {
            assertTrue(probe.answers(worker.address()), "a running worker answers");
            assertFalse(stranger.answers(worker.address()), "a probe without the worker's secret gets 401");
            assertFalse(probe.answers(new WorkerAddress("gone", "127.0.0.1", dead, 1)), "nothing listens");
            worker.drain();
            assertFalse(probe.answers(worker.address()), "a draining worker stays out of placement");
        }
    }
}
