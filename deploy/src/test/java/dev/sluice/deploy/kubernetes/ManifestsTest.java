package dev.sluice.deploy.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Every applicable layout (all-in-one, distributed, dev) as {@code kubectl kustomize} renders it, parsed strictly, and
 * checked for what would only fail once applied: selectors that select nothing, ports and probes that point nowhere,
 * references to objects that do not exist, a drain longer than the pod's grace, an unhardened container.
 */
class ManifestsTest {
    static final List<String> LAYOUTS = Layout.APPLICABLE;
    private static final String NAME = "app.kubernetes.io/name";
    private static final String COMPONENT = "app.kubernetes.io/component";
    private static final String MONITORING = "namespaces{kubernetes.io/metadata.name=monitoring}";
    private static final String GATEWAY_PODS =
            "pods{app.kubernetes.io/component=gateway, app.kubernetes.io/name=sluice}";

    @ParameterizedTest
    @FieldSource("LAYOUTS")
    void everyObjectParsesStrictlyAndLandsInTheNamespaceSluice(String name) {
        Layout layout = Layout.of(name);
        assertFalse(layout.objects().isEmpty(), name + " renders nothing");
        for (HasMetadata object : layout.objects()) {
            assertEquals("sluice", object.getMetadata().getNamespace(),
                    name + ": " + object.getKind() + " " + object.getMetadata().getName() + " metadata.namespace");
            assertEquals("sluice", object.getMetadata().getLabels().get("app.kubernetes.io/part-of"),
                    name + ": " + object.getKind() + " " + object.getMetadata().getName() + " part-of label");
        }
    }

    @ParameterizedTest
    @FieldSource("LAYOUTS")
    void everySelectorSelectsAPodTemplateOfTheLayout(String name) {
        Layout layout = Layout.of(name);
        for (Deployment deployment : layout.all(Deployment.class)) {
            assertTrue(Layout.matches(deployment.getSpec().getSelector(), Layout.podLabels(deployment)),
                    layout.where(deployment) + " spec.selector does not match its own pod template's labels");
            assertEquals(Set.of(NAME, COMPONENT), deployment.getSpec().getSelector().getMatchLabels().keySet(),
                    layout.where(deployment) + " spec.selector (expected: name and component)");
        }
        for (Service service : layout.all(Service.class)) {
            Map<String, String> selector = service.getSpec().getSelector();
            assertNotNull(selector, name + ": Service " + service.getMetadata().getName() + " has no selector");
            assertEquals(Set.of(NAME, COMPONENT), selector.keySet(),
                    name + ": Service " + service.getMetadata().getName() + " spec.selector");
            assertEquals(1, layout.selected(selector).size(), name + ": Service " + service.getMetadata().getName()
                    + " spec.selector " + selector + " selects " + layout.selected(selector).size()
                    + " Deployments' pods (expected: exactly one)");
        }
        for (PodDisruptionBudget pdb : layout.all(PodDisruptionBudget.class)) {
            assertEquals(1, layout.selected(pdb.getSpec().getSelector()).size(), name + ": PodDisruptionBudget "
                    + pdb.getMetadata().getName() + " spec.selector selects no (or several) Deployments' pods");
        }
        for (NetworkPolicy policy : layout.all(NetworkPolicy.class)) {
            assertFalse(layout.selected(policy.getSpec().getPodSelector()).isEmpty(), name + ": NetworkPolicy "
                    + policy.getMetadata().getName() + " spec.podSelector selects no pod of the layout");
            for (var rule : policy.getSpec().getIngress()) {
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    if (peer.getPodSelector() != null && peer.getNamespaceSelector() == null) {
                        assertFalse(layout.selected(peer.getPodSelector()).isEmpty(), name + ": NetworkPolicy "
                                + policy.getMetadata().getName() + " ingress.from.podSelector selects no pod");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @FieldSource("LAYOUTS")
    void everyServiceAndNetworkPolicyPortNamesAContainerPortOfTheSelectedPods(String name) {
        Layout layout = Layout.of(name);
        for (Service service : layout.all(Service.class)) {
            for (ServicePort port : service.getSpec().getPorts()) {
                assertNotNull(port.getTargetPort().getStrVal(), name + ": Service " + service.getMetadata().getName()
                        + " port " + port.getName() + " targetPort (expected: a port name)");
                for (Deployment target : layout.selected(service.getSpec().getSelector())) {
                    for (Container container : target.getSpec().getTemplate().getSpec().getContainers()) {
                        assertTrue(Layout.port(container, port.getTargetPort()).isPresent(), name + ": Service "
                                + service.getMetadata().getName() + " targetPort " + port.getTargetPort().getStrVal()
                                + " is no port of Deployment " + target.getMetadata().getName() + " container "
                                + container.getName());
                    }
                }
            }
        }
        for (NetworkPolicy policy : layout.all(NetworkPolicy.class)) {
            for (var rule : policy.getSpec().getIngress()) {
                for (NetworkPolicyPort port : rule.getPorts()) {
                    for (Deployment target : layout.selected(policy.getSpec().getPodSelector())) {
                        boolean found = target.getSpec().getTemplate().getSpec().getContainers().stream()
                                .anyMatch(c -> Layout.port(c, port.getPort()).isPresent());
                        assertTrue(found, name + ": NetworkPolicy " + policy.getMetadata().getName() + " port "
                                + portText(port) + " is no port of Deployment " + target.getMetadata().getName());
                    }
                }
            }
        }
    }

    private static String portText(NetworkPolicyPort port) {
        var value = port.getPort();
        return value.getStrVal() != null ? value.getStrVal() : String.valueOf(value.getIntVal());
    }

    @Test
    void theNetworkPoliciesLetInExactlyWhatTheSpecAllows() {
        for (String name : List.of("distributed", "dev")) {
            Layout layout = Layout.of(name);
            for (NetworkPolicy policy : layout.all(NetworkPolicy.class)) {
                assertEquals(List.of("Ingress"), policy.getSpec().getPolicyTypes(),
                        name + ": NetworkPolicy " + policy.getMetadata().getName() + " policyTypes");
            }
            assertEquals(Map.of("http", Set.of("anywhere"), "metrics", Set.of(MONITORING)),
                    allowed(layout, layout.deployment("sluice-gateway")), name + ": what reaches the gateway pods");
            assertEquals(Map.of("internal", Set.of(GATEWAY_PODS), "metrics", Set.of(MONITORING)),
                    allowed(layout, layout.deployment("sluice-worker")), name + ": what reaches the worker pods");
        }
        Layout dev = Layout.of("dev");
        assertEquals(Map.of("redis", Set.of("pods{app.kubernetes.io/name=sluice}")),
                allowed(dev, dev.deployment("sluice-redis")), "dev: what reaches Redis");
    }

    /** Port name to the peers the policies selecting this pod let in on it (the union, as Kubernetes applies it). */
    private static Map<String, Set<String>> allowed(Layout layout, Deployment deployment) {
        Map<String, Set<String>> allowed = new java.util.TreeMap<>();
        for (NetworkPolicy policy : layout.all(NetworkPolicy.class)) {
            if (!Layout.matches(policy.getSpec().getPodSelector(), Layout.podLabels(deployment))) {
                continue;
            }
            for (var rule : policy.getSpec().getIngress()) {
                assertFalse(rule.getPorts().isEmpty(), policy.getMetadata().getName() + ": a rule for every port");
                List<String> peers = rule.getFrom().isEmpty() ? List.of("anywhere") : rule.getFrom().stream()
                        .map(peer -> peer.getNamespaceSelector() != null && peer.getPodSelector() == null
                                ? "namespaces" + new java.util.TreeMap<>(peer.getNamespaceSelector().getMatchLabels())
                                : peer.getNamespaceSelector() == null && peer.getPodSelector() != null
                                ? "pods" + new java.util.TreeMap<>(peer.getPodSelector().getMatchLabels())
                                : "other" + peer)
                        .toList();
                for (NetworkPolicyPort port : rule.getPorts()) {
                    allowed.computeIfAbsent(portText(port), p -> new java.util.TreeSet<>()).addAll(peers);
                }
            }
        }
        return allowed;
    }

    @Test
    void noSourceManifestHardCodesANamespace() throws java.io.IOException {
        List<Path> files;
        try (Stream<Path> walk = java.nio.file.Files.walk(Path.of("kubernetes"))) {
            files = walk.filter(f -> f.toString().endsWith(".yaml"))
                    .filter(f -> !f.getFileName().toString().equals("kustomization.yaml"))
                    .filter(f -> !f.startsWith(Path.of("kubernetes", "prometheus-adapter"))).toList();
        }
        assertFalse(files.isEmpty());
        for (Path file : files) {
            for (Object document : new org.snakeyaml.engine.v2.api.Load(
                    org.snakeyaml.engine.v2.api.LoadSettings.builder().build())
                    .loadAllFromString(java.nio.file.Files.readString(file))) {
                Object metadata = ((Map<?, ?>) document).get("metadata");
                assertFalse(((Map<?, ?>) metadata).containsKey("namespace"),
                        file + ": metadata.namespace (the overlay's kustomization sets it)");
            }
        }
    }

    @ParameterizedTest
    @FieldSource("LAYOUTS")
    void probesUseNamedPortsAndSluicesHealthPathsPerRole(String name) {
        Layout layout = Layout.of(name);
        for (Deployment deployment : layout.all(Deployment.class)) {
            String where = layout.where(deployment);
            for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
                for (Probe probe : Stream.of(container.getStartupProbe(), container.getLivenessProbe(),
                        container.getReadinessProbe()).filter(p -> p != null).toList()) {
                    var port = probe.getHttpGet() != null ? probe.getHttpGet().getPort()
                            : probe.getTcpSocket() != null ? probe.getTcpSocket().getPort() : null;
                    if (port != null) {
                        assertNotNull(port.getStrVal(), where + " probe port (expected: a port name)");
                        assertTrue(Layout.port(container, port).isPresent(), where + " container "
                                + container.getName() + " probe port " + port.getStrVal() + " is not one of its ports");
                    }
                }
            }
            if (!Layout.runsSluice(deployment)) {
                continue;
            }
            Container sluice = Layout.sluiceContainer(deployment);
            String role = Layout.podLabels(deployment).get(COMPONENT);
            String port = role.equals("worker") ? "metrics" : "http";
            assertProbe(where + " startupProbe", sluice.getStartupProbe(), "/health", port);
            assertProbe(where + " livenessProbe", sluice.getLivenessProbe(), "/health", port);
            assertProbe(where + " readinessProbe", sluice.getReadinessProbe(), "/health/ready", port);
            Probe startup = sluice.getStartupProbe();
            assertTrue(startup.getPeriodSeconds() * startup.getFailureThreshold() >= 60,
                    where + " startupProbe allows less than 60 s for the JVM to start");
        }
    }

    private static void assertProbe(String where, Probe probe, String path, String port) {
        assertNotNull(probe, where + " missing");
        assertNotNull(probe.getHttpGet(), where + " (expected: httpGet)");
        assertEquals(path, probe.getHttpGet().getPath(), where + " httpGet.path");
        assertEquals(port, probe.getHttpGet().getPort().getStrVal(), where + " httpGet.port");
    }

    @ParameterizedTest
    @FieldSource("LAYOUTS")
    void everyConfigMapSecretClaimAndServiceAccountAPodUsesExists(String name) {
        Layout layout = Layout.of(name);
        for (Deployment deployment : layout.all(Deployment.class)) {
            String where = layout.where(deployment);
            PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            if (pod.getServiceAccountName() != null) {
                layout.get(ServiceAccount.class, pod.getServiceAccountName());
            }
            for (Volume volume : pod.getVolumes()) {
                if (volume.getConfigMap() != null) {
                    layout.get(ConfigMap.class, volume.getConfigMap().getName());
                }
                if (volume.getSecret() != null) {
                    secret(layout, volume.getSecret().getSecretName(), volume.getSecret().getOptional(), where);
                }
                if (volume.getPersistentVolumeClaim() != null) {
                    layout.get(PersistentVolumeClaim.class, volume.getPersistentVolumeClaim().getClaimName());
                }
            }
            for (Container container : pod.getContainers()) {
                for (var mount : container.getVolumeMounts()) {
                    assertTrue(pod.getVolumes().stream().anyMatch(v -> v.getName().equals(mount.getName())),
                            where + " container " + container.getName() + " mounts unknown volume " + mount.getName());
                }
                for (EnvVar env : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
                    if (env.getValueFrom() == null) {
                        continue;
                    }
                    var secretRef = env.getValueFrom().getSecretKeyRef();
                    if (secretRef != null) {
                        secret(layout, secretRef.getName(), secretRef.getOptional(), where + " env " + env.getName())
                                .ifPresent(secret -> assertTrue(keys(secret).contains(secretRef.getKey()), where
                                        + " env " + env.getName() + ": Secret " + secretRef.getName()
                                        + " has no key " + secretRef.getKey()));
                    }
                    var mapRef = env.getValueFrom().getConfigMapKeyRef();
                    if (mapRef != null) {
                        assertTrue(layout.get(ConfigMap.class, mapRef.getName()).getData().containsKey(mapRef.getKey()),
                                where + " env " + env.getName());
                    }
                }
            }
        }
    }

    private static Set<String> keys(Secret secret) {
        Set<String> keys = new HashSet<>();
        if (secret.getData() != null) {
            keys.addAll(secret.getData().keySet());
        }
        if (secret.getStringData() != null) {
            keys.addAll(secret.getStringData().keySet());
        }
        return keys;
    }

    /**
     * The Secret, when the layout has it. Only {@code sluice-secrets} may be missing: optional in all-in-one (the
     * admin token is then generated), the provider's in distributed (README.md says what it holds).
     */
    private static java.util.Optional<Secret> secret(Layout layout, String secretName, Boolean optional,
                                                     String where) {
        var found = layout.find(Secret.class, secretName);
        if (found.isPresent()) {
            return found;
        }
        assertEquals("sluice-secrets", secretName, where + ": Secret " + secretName + " is not in the layout");
        switch (layout.name()) {
            case "all-in-one" -> assertEquals(Boolean.TRUE, optional,
                    where + ": sluice-secrets must be optional in all-in-one");
            case "distributed" -> { }
            default -> fail(where + ": " + layout.name() + " must generate its own sluice-secrets");
        }
        return java.util.Optional.empty();
    }

    @ParameterizedTest
    @FieldSource("LAYOUTS")
    void everyContainerIsHardenedAndHasRequestsAndLimits(String name) {
        Layout layout = Layout.of(name);
        for (Deployment deployment : layout.all(Deployment.class)) {
            String where = layout.where(deployment);
            PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            PodSecurityContext podContext = pod.getSecurityContext();
            assertNotNull(podContext, where + " spec.securityContext");
            assertEquals("RuntimeDefault", podContext.getSeccompProfile().getType(), where + " seccompProfile");
            assertEquals(Boolean.TRUE, podContext.getRunAsNonRoot(), where + " securityContext.runAsNonRoot");
            if (Layout.runsSluice(deployment)) {
                assertEquals(10001L, podContext.getRunAsUser(), where + " securityContext.runAsUser");
                assertEquals(10001L, podContext.getRunAsGroup(), where + " securityContext.runAsGroup");
                assertEquals(10001L, podContext.getFsGroup(), where + " securityContext.fsGroup");
                assertEquals(Boolean.FALSE, pod.getEnableServiceLinks(), where
                        + " enableServiceLinks (Services would put SLUICE_* variables into Sluice's environment)");
            }
            for (Container container : pod.getContainers()) {
                String c = where + " container " + container.getName();
                SecurityContext context = container.getSecurityContext();
                assertNotNull(context, c + " securityContext");
                assertEquals(Boolean.FALSE, context.getAllowPrivilegeEscalation(), c + " allowPrivilegeEscalation");
                assertEquals(Boolean.TRUE, context.getReadOnlyRootFilesystem(), c + " readOnlyRootFilesystem");
                assertEquals(Boolean.TRUE, context.getRunAsNonRoot(), c + " runAsNonRoot");
                assertEquals(List.of("ALL"), context.getCapabilities().getDrop(), c + " capabilities.drop");
                assertTrue(context.getCapabilities().getAdd() == null || context.getCapabilities().getAdd().isEmpty(),
                        c + " capabilities.add");
                var resources = container.getResources();
                assertNotNull(resources, c + " resources");
                for (String resource : List.of("cpu", "memory")) {
                    Quantity request = resources.getRequests() == null ? null : resources.getRequests().get(resource);
                    Quantity limit = resources.getLimits() == null ? null : resources.getLimits().get(resource);
                    assertNotNull(request, c + " resources.requests." + resource);
                    assertNotNull(limit, c + " resources.limits." + resource);
                    assertTrue(request.getNumericalAmount().compareTo(limit.getNumericalAmount()) <= 0,
                            c + " resources: request " + request + " over limit " + limit + " for " + resource);
                }
            }
        }
    }

    @ParameterizedTest
    @FieldSource("LAYOUTS")
    void everySluicePodRunsTheOneSluiceImageAndOnlyDevAddsRedis(String name) {
        Layout layout = Layout.of(name);
        String image = "ghcr.io/sluice-dev/sluice:" + projectVersion();
        List<String> others = new ArrayList<>();
        for (Deployment deployment : layout.all(Deployment.class)) {
            for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
                if (Layout.runsSluice(deployment)) {
                    assertEquals(image, container.getImage(), name + ": Deployment "
                            + deployment.getMetadata().getName() + " container " + container.getName() + " image");
                } else {
                    others.add(container.getImage());
                }
            }
        }
        assertEquals(name.equals("dev") ? List.of("redis:7") : List.of(), others,
                name + ": images other than Sluice's");
    }

    /** The version every module of the reactor shares, from the deploy module's parent. */
    static String projectVersion() {
        try {
            var pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
            var parent = (org.w3c.dom.Element) pom.getElementsByTagName("parent").item(0);
            return parent.getElementsByTagName("version").item(0).getTextContent().strip();
        } catch (Exception e) {
            throw new AssertionError("cannot read the project version from deploy/pom.xml", e);
        }
    }

    @ParameterizedTest
    @FieldSource("LAYOUTS")
    void everyHpaScalesADeploymentOfTheLayoutWithinSaneBounds(String name) {
        Layout layout = Layout.of(name);
        for (HorizontalPodAutoscaler hpa : layout.all(HorizontalPodAutoscaler.class)) {
            String where = layout.where(hpa);
            var target = hpa.getSpec().getScaleTargetRef();
            assertEquals("Deployment", target.getKind(), where + " scaleTargetRef.kind");
            assertEquals("apps/v1", target.getApiVersion(), where + " scaleTargetRef.apiVersion");
            Deployment deployment = layout.deployment(target.getName());
            assertTrue(hpa.getSpec().getMinReplicas() >= 1, where + " minReplicas");
            assertTrue(hpa.getSpec().getMinReplicas() <= hpa.getSpec().getMaxReplicas(), where + " minReplicas "
                    + hpa.getSpec().getMinReplicas() + " over maxReplicas " + hpa.getSpec().getMaxReplicas());
            assertEquals(null, deployment.getSpec().getReplicas(), where + ": Deployment " + target.getName()
                    + " sets spec.replicas, which every apply would reset under the HPA");
            var containers = deployment.getSpec().getTemplate().getSpec().getContainers();
            for (MetricSpec metric : hpa.getSpec().getMetrics()) {
                if (metric.getType().equals("Resource")) {
                    String resource = metric.getResource().getName();
                    assertTrue(containers.stream().allMatch(c -> c.getResources().getRequests().containsKey(resource)),
                            where + " scales on " + resource
                                    + " utilisation, which needs a request on every container");
                }
            }
        }
    }

    @Test
    void theDistributedAutoscalersAndBudgetsAreTheSpecsOnes() {
        Layout layout = Layout.of("distributed");
        HorizontalPodAutoscaler gateway = layout.get(HorizontalPodAutoscaler.class, "sluice-gateway");
        assertEquals(2, gateway.getSpec().getMinReplicas());
        assertEquals(10, gateway.getSpec().getMaxReplicas());
        assertEquals(Map.of("cpu", "70", "sluice_http_requests_per_second", "200"), targets(gateway));
        HorizontalPodAutoscaler worker = layout.get(HorizontalPodAutoscaler.class, "sluice-worker");
        assertEquals(2, worker.getSpec().getMinReplicas());
        assertEquals(20, worker.getSpec().getMaxReplicas());
        assertEquals(Map.of("cpu", "75", "sluice_worker_queued", "2"), targets(worker));
        assertEquals(1, layout.get(PodDisruptionBudget.class, "sluice-gateway").getSpec().getMinAvailable()
                .getIntVal(), "PodDisruptionBudget sluice-gateway minAvailable");
        assertEquals(1, layout.get(PodDisruptionBudget.class, "sluice-worker").getSpec().getMaxUnavailable()
                .getIntVal(), "PodDisruptionBudget sluice-worker maxUnavailable");
        Service workers = layout.get(Service.class, "sluice-worker");
        assertEquals("None", workers.getSpec().getClusterIP(), "Service sluice-worker must be headless");
        assertEquals(Boolean.FALSE, workers.getSpec().getPublishNotReadyAddresses(),
                "Service sluice-worker publishNotReadyAddresses");
    }

    /** Each metric's target: a utilisation in percent, or a Pods metric's average value. */
    static Map<String, String> targets(HorizontalPodAutoscaler hpa) {
        Map<String, String> targets = new java.util.HashMap<>();
        for (MetricSpec metric : hpa.getSpec().getMetrics()) {
            switch (metric.getType()) {
                case "Resource" -> targets.put(metric.getResource().getName(),
                        String.valueOf(metric.getResource().getTarget().getAverageUtilization()));
                case "Pods" -> targets.put(metric.getPods().getMetric().getName(),
                        metric.getPods().getTarget().getAverageValue().toString());
                default -> fail(hpa.getMetadata().getName() + ": unexpected metric type " + metric.getType());
            }
        }
        return targets;
    }
}
