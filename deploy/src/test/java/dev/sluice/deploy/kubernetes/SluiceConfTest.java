package dev.sluice.deploy.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.FileConfigSource;
import dev.sluice.config.SluiceConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The sluice.conf each pod mounts parses with Sluice's own loader ({@link FileConfigSource}, {@link SluiceConfig}:
 * unknown keys and bad values stop a start) and agrees with the pod around it: role, ports, addresses, volumes,
 * worker discovery, secrets in the environment, and a drain that fits in the pod's termination grace period.
 */
class SluiceConfTest {
    static final List<String> LAYOUTS = Layout.APPLICABLE;
    /** Seconds left for the JVM to exit after the drain and the port's last second (shutdown hooks, GC). */
    private static final int EXIT_MARGIN_SECONDS = 2;
    private static final Map<String, String> ROLE = Map.of("server", "serve", "gateway", "gateway",
            "worker", "worker");
    private static final Map<String, Map<String, String>> ENVIRONMENT = Map.of(
            "server", Map.of("SLUICE_ADMIN_TOKEN", "admin-token", "SLUICE_SECRETS_KEY", "secrets-key"),
            "gateway", Map.of("SLUICE_ADMIN_TOKEN", "admin-token", "SLUICE_WORKER_SECRET", "worker-secret",
                    "SLUICE_SECRETS_KEY", "secrets-key", "SLUICE_REDIS_URI", "redis-uri"),
            "worker", Map.of("SLUICE_WORKER_SECRET", "worker-secret", "SLUICE_REDIS_URI", "redis-uri"));

    @TempDir
    Path scratch;

    private static List<Deployment> sluicePods(Layout layout) {
        return layout.all(Deployment.class).stream().filter(Layout::runsSluice).toList();
    }

    @ParameterizedTest
    @FieldSource("LAYOUTS")
    void everyMountedConfParsesAndMatchesItsPodsPortsVolumesAndRole(String name) {
        Layout layout = Layout.of(name);
        for (Deployment deployment : sluicePods(layout)) {
            String where = layout.where(deployment);
            String component = Layout.podLabels(deployment).get("app.kubernetes.io/component");
            Container sluice = Layout.sluiceContainer(deployment);
            SluiceConfig conf = layout.sluiceConf(deployment, scratch);
            assertEquals(List.of(ROLE.get(component)), sluice.getArgs(), where + " args (the role)");
            assertMount(where, sluice, Layout.CONFIG_MOUNT, true);
            assertMount(where, sluice, conf.dataDir().toString(), false);
            assertEquals(Path.of("/var/lib/sluice"), conf.dataDir(), where + " sluice.conf data-dir");
            assertMount(where, sluice, "/tmp", false);
            assertEquals("0.0.0.0", conf.metrics().metricsHost(), where + " sluice.conf metrics-host");
            assertEquals(Layout.namedPort(sluice, "metrics"), conf.metrics().metricsPort(),
                    where + " sluice.conf metrics-port against the container port named metrics");
            if (component.equals("worker")) {
                assertEquals("0.0.0.0", conf.cluster().workerHost(), where + " sluice.conf worker-host");
                assertEquals(Layout.namedPort(sluice, "internal"), conf.cluster().workerPort(),
                        where + " sluice.conf worker-port against the container port named internal");
            } else {
                assertEquals("0.0.0.0", conf.host(), where + " sluice.conf host");
                assertEquals(Layout.namedPort(sluice, "http"), conf.port(),
                        where + " sluice.conf port against the container port named http");
            }
            if (!component.equals("server")) {
                assertEquals("redis", conf.stores().tenancyStore(), where + " sluice.conf tenancy-store");
            }
            if (component.equals("gateway")) {
                assertEquals("redis", conf.stores().quotaStore(), where + " sluice.conf quota-store");
            }
        }
    }

    private static void assertMount(String where, Container container, String path, boolean readOnly) {
        VolumeMount mount = container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path))
                .findFirst().orElseThrow(() -> new AssertionError(where + ": nothing mounted at " + path));
        assertEquals(readOnly, Boolean.TRUE.equals(mount.getReadOnly()), where + " volumeMount " + path + " readOnly");
    }

    @ParameterizedTest
    @FieldSource("LAYOUTS")
    void theGracePeriodCoversPreStopDrainAndTheLastSecond(String name) {
        Layout layout = Layout.of(name);
        for (Deployment deployment : sluicePods(layout)) {
            String where = layout.where(deployment);
            Container sluice = Layout.sluiceContainer(deployment);
            SluiceConfig conf = layout.sluiceConf(deployment, scratch);
            assertNotNull(sluice.getLifecycle(), where + " lifecycle");
            long preStop = sluice.getLifecycle().getPreStop().getSleep().getSeconds();
            long drain = (conf.shutdownGraceMs() + 999) / 1000;
            long grace = deployment.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
            assertTrue(preStop >= 3, where + " preStop sleep " + preStop
                    + " s: too short for the endpoints to drop the pod");
            assertTrue(grace >= preStop + drain + 1 + EXIT_MARGIN_SECONDS, where + " terminationGracePeriodSeconds "
                    + grace + " < preStop " + preStop + " + shutdown-grace-ms " + drain + " s + 1 s + "
                    + EXIT_MARGIN_SECONDS + " s");
        }
    }

    @ParameterizedTest
    @FieldSource("LAYOUTS")
    void secretsReachEachRoleThroughTheEnvironmentFromSluiceSecrets(String name) {
        Layout layout = Layout.of(name);
        for (Deployment deployment : sluicePods(layout)) {
            String where = layout.where(deployment);
            String component = Layout.podLabels(deployment).get("app.kubernetes.io/component");
            Map<String, String> keys = new HashMap<>();
            for (EnvVar env : Layout.sluiceContainer(deployment).getEnv()) {
                var ref = env.getValueFrom() == null ? null : env.getValueFrom().getSecretKeyRef();
                assertNotNull(ref, where + " env " + env.getName() + ": a secret belongs in a Secret");
                assertTrue(ref.getName().startsWith("sluice-secrets"), where + " env " + env.getName() + " Secret");
                keys.put(env.getName(), ref.getKey());
            }
            assertEquals(ENVIRONMENT.get(component), keys, where + " env from sluice-secrets");
        }
    }

    @Test
    void gatewaysFindTheWorkersThroughTheHeadlessServiceOnTheWorkersPort() {
        for (String name : List.of("distributed", "dev")) {
            Layout layout = Layout.of(name);
            SluiceConfig gateway = layout.sluiceConf(layout.deployment("sluice-gateway"), scratch);
            Deployment workers = layout.deployment("sluice-worker");
            assertEquals("dns", gateway.cluster().workerDiscovery(), name + ": gateway worker-discovery");
            Service service = layout.get(Service.class, gateway.cluster().workerDnsName());
            assertEquals("None", service.getSpec().getClusterIP(),
                    name + ": Service " + service.getMetadata().getName() + " (worker-dns-name) must be headless");
            assertEquals(List.of(workers), layout.selected(service.getSpec().getSelector()),
                    name + ": Service " + service.getMetadata().getName() + " must select the worker pods");
            int internal = Layout.namedPort(Layout.sluiceContainer(workers), "internal");
            assertEquals(internal, gateway.cluster().workerPort(), name + ": gateway worker-port");
            assertEquals(internal, layout.sluiceConf(workers, scratch).cluster().workerPort(),
                    name + ": worker worker-port");
            assertEquals(List.of(internal), service.getSpec().getPorts().stream().map(p -> p.getPort()).toList(),
                    name + ": Service " + service.getMetadata().getName() + " port");
        }
    }

    @Test
    void distributedGatewaysLogInToVaultWithTheServiceAccountAndWorkersGetNoToken() {
        Layout layout = Layout.of("distributed");
        Deployment gateway = layout.deployment("sluice-gateway");
        SluiceConfig conf = layout.sluiceConf(gateway, scratch);
        assertEquals("http://vault.vault.svc:8200", conf.vault().address(), "gateway vault-address");
        assertEquals("kubernetes", conf.vault().auth(), "gateway vault-auth");
        assertEquals("sluice", conf.vault().kubernetesRole(), "gateway vault-kubernetes-role");
        assertEquals("sluice", gateway.getSpec().getTemplate().getSpec().getServiceAccountName(),
                "gateway serviceAccountName");
        assertEquals(Boolean.TRUE, gateway.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken(),
                "gateway automountServiceAccountToken (Vault's Kubernetes login reads the token)");
        Deployment worker = layout.deployment("sluice-worker");
        assertEquals(Boolean.FALSE, worker.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken(),
                "worker automountServiceAccountToken");
        assertTrue(!layout.sluiceConf(worker, scratch).vault().enabled(), "workers do not talk to Vault");
    }

    @Test
    void theDevGatewayConfIsTheDistributedOneWithoutTheVaultKeysAndRunsAlone() {
        Map<String, String> distributed = new TreeMap<>(FileConfigSource.load(
                Path.of("kubernetes/distributed/gateway.conf")).values());
        Map<String, String> dev = new TreeMap<>(FileConfigSource.load(Path.of("kubernetes/dev/gateway.conf")).values());
        distributed.keySet().removeIf(key -> key.startsWith("vault-"));
        assertEquals(distributed, dev);
        Layout layout = Layout.of("dev");
        assertTrue(!layout.sluiceConf(layout.deployment("sluice-gateway"), scratch).vault().enabled(),
                "dev: the rendered gateway configuration still names a Vault");
        // Without Vault, function secrets are kept in one gateway's data directory: a second one would not see them.
        assertEquals(1, layout.get(HorizontalPodAutoscaler.class, "sluice-gateway").getSpec().getMaxReplicas(),
                "dev: HorizontalPodAutoscaler sluice-gateway maxReplicas");
    }
}
