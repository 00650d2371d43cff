package dev.sluice.deploy.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.deploy.support.StrictKubernetes;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The strict parser the manifest checks rely on refuses what the Kubernetes schema refuses, and names it. */
class StrictKubernetesTest {
    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: probe
              labels: {anything-goes-in-a-map: "yes"}
            spec:
              replicas: REPLICAS
              selector: {matchLabels: {app: probe}}
              template:
                metadata: {labels: {app: probe}}
                spec:
                  containers:
                    - name: c
                      image: example/image:1
                      PULL: IfNotPresent
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: conf}
            data: {sluice.conf: "port = 8080"}
            """;

    private static String deployment(String replicas, String pullField) {
        return DEPLOYMENT.replace("REPLICAS", replicas).replace("PULL", pullField);
    }

    @Test
    void aWellFormedStreamParsesIntoTypedObjectsWithMapsTakingAnyKey() {
        List<HasMetadata> objects = StrictKubernetes.parse(deployment("2", "imagePullPolicy"));
        assertEquals(2, objects.size());
        Deployment deployment = (Deployment) objects.get(0);
        assertEquals(2, deployment.getSpec().getReplicas());
        assertEquals("IfNotPresent",
                deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImagePullPolicy());
        assertEquals("yes", deployment.getMetadata().getLabels().get("anything-goes-in-a-map"));
        assertEquals("port = 8080", ((io.fabric8.kubernetes.api.model.ConfigMap) objects.get(1)).getData()
                .get("sluice.conf"));
    }

    @Test
    void aMisspelledFieldIsRefusedNamingTheFieldAndTheObject() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> StrictKubernetes.parse(deployment("2", "imagePullPolicyy")));
        assertTrue(refused.getMessage().contains("imagePullPolicyy"), refused.getMessage());
        assertTrue(refused.getMessage().contains("Deployment probe"), refused.getMessage());
    }

    @Test
    void aValueOfTheWrongTypeIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> StrictKubernetes.parse(deployment("two", "imagePullPolicy")));
        assertTrue(refused.getMessage().contains("Deployment probe"), refused.getMessage());
    }

    @Test
    void aKindTheKubernetesModelDoesNotKnowIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> StrictKubernetes.parse("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"));
        assertTrue(refused.getMessage().contains("Widget"), refused.getMessage());
    }
}
