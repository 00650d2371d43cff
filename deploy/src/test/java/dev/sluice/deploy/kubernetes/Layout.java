package dev.sluice.deploy.kubernetes;

import dev.sluice.config.FileConfigSource;
import dev.sluice.config.SluiceConfig;
import dev.sluice.deploy.support.Kustomize;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One kustomize layout rendered by {@code kubectl kustomize} and parsed strictly, with the look-ups the checks share.
 * Rendered once per test run (kubectl takes a second or two each time on a busy machine).
 */
record Layout(String name, List<HasMetadata> objects) {
    static final List<String> APPLICABLE = List.of("all-in-one", "distributed", "dev");
    static final String CONFIG_MOUNT = "/etc/sluice";
    private static final Map<String, Layout> RENDERED = new ConcurrentHashMap<>();

    static Layout of(String name) {
        Kustomize.assumeKubectl();
        return RENDERED.computeIfAbsent(name, n -> new Layout(n, Kustomize.render(Kustomize.layout(n))));
    }

    /** How a failure message names an object of this layout: {@code distributed: Deployment sluice-worker}. */
    String where(HasMetadata object) {
        return name + ": " + object.getKind() + " " + object.getMetadata().getName();
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> type, String name) {
        return find(type, name).orElseThrow(() -> new AssertionError(this.name + ": no " + type.getSimpleName()
                + " named " + name + " (has " + all(type).stream().map(o -> o.getMetadata().getName()).toList()
                + ")"));
    }

    Deployment deployment(String name) {
        return get(Deployment.class, name);
    }

    /** The Deployments whose pod template the selector matches. */
    List<Deployment> selected(LabelSelector selector) {
        return all(Deployment.class).stream().filter(d -> matches(selector, podLabels(d))).toList();
    }

    List<Deployment> selected(Map<String, String> selector) {
        return all(Deployment.class).stream().filter(d -> podLabels(d).entrySet().containsAll(selector.entrySet()))
                .toList();
    }

    static Map<String, String> podLabels(Deployment deployment) {
        Map<String, String> labels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        return labels == null ? Map.of() : labels;
    }

    /** matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist), as the API server evaluates them. */
    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        if (selector.getMatchLabels() != null
                && !labels.entrySet().containsAll(selector.getMatchLabels().entrySet())) {
            return false;
        }
        if (selector.getMatchExpressions() != null) {
            for (var expression : selector.getMatchExpressions()) {
                String value = labels.get(expression.getKey());
                boolean ok = switch (expression.getOperator()) {
                    case "In" -> value != null && expression.getValues().contains(value);
                    case "NotIn" -> value == null || !expression.getValues().contains(value);
                    case "Exists" -> value != null;
                    case "DoesNotExist" -> value == null;
                    default -> throw new AssertionError("unknown operator " + expression.getOperator());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    static Container sluiceContainer(Deployment deployment) {
        List<Container> containers = deployment.getSpec().getTemplate().getSpec().getContainers();
        return containers.stream().filter(c -> c.getName().equals("sluice")).findFirst().orElseThrow(
                () -> new AssertionError("Deployment " + deployment.getMetadata().getName()
                        + ": no container named sluice"));
    }

    static boolean runsSluice(Deployment deployment) {
        return "sluice".equals(podLabels(deployment).get("app.kubernetes.io/name"));
    }

    /** The containerPort a port reference (a name or a number) resolves to in this container, if any. */
    static Optional<Integer> port(Container container, IntOrString reference) {
        List<ContainerPort> ports = container.getPorts() == null ? List.of() : container.getPorts();
        if (reference.getStrVal() != null) {
            return ports.stream().filter(p -> reference.getStrVal().equals(p.getName()))
                    .map(ContainerPort::getContainerPort).findFirst();
        }
        return ports.stream().map(ContainerPort::getContainerPort).filter(reference.getIntVal()::equals).findFirst();
    }

    static int namedPort(Container container, String name) {
        return port(container, new IntOrString(name)).orElseThrow(() -> new AssertionError("container "
                + container.getName() + " has no port named " + name));
    }

    static Volume volume(PodTemplateSpec template, String name) {
        return template.getSpec().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume named " + name));
    }

    static Optional<VolumeMount> mountOf(Container container, String volume) {
        return container.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst();
    }

    /** The sluice.conf a Deployment mounts at /etc/sluice, parsed by Sluice's own loader. */
    SluiceConfig sluiceConf(Deployment deployment, Path scratch) {
        return SluiceConfig.from(FileConfigSource.load(sluiceConfFile(deployment, scratch)));
    }

    /** The mounted sluice.conf written to a file under {@code scratch}, as the pod sees it. */
    Path sluiceConfFile(Deployment deployment, Path scratch) {
        Container container = sluiceContainer(deployment);
        VolumeMount mount = container.getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals(CONFIG_MOUNT)).findFirst()
                .orElseThrow(() -> new AssertionError("Deployment " + deployment.getMetadata().getName()
                        + ": nothing mounted at " + CONFIG_MOUNT));
        Volume volume = volume(deployment.getSpec().getTemplate(), mount.getName());
        String mapName = volume.getConfigMap().getName();
        String text = get(ConfigMap.class, mapName).getData().get("sluice.conf");
        if (text == null) {
            throw new AssertionError(name + ": ConfigMap " + mapName + " has no key sluice.conf");
        }
        try {
            Path dir = Files.createDirectories(scratch.resolve(name).resolve(deployment.getMetadata().getName()));
            return Files.writeString(dir.resolve("sluice.conf"), text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
