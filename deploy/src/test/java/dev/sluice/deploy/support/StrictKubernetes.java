package dev.sluice.deploy.support;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.deser.BeanDeserializerBuilder;
import tools.jackson.databind.deser.ValueDeserializerModifier;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;

/**
 * Kubernetes objects parsed strictly against fabric8's typed model (kubernetes-client-api 8.0.0, the Kubernetes
 * OpenAPI schema as Java classes): a field the schema does not have, a value of the wrong type, or a kind the model
 * does not know is an error naming the field, not an entry silently kept aside.
 *
 * <p>fabric8's model classes catch every unknown field in an {@code additionalProperties} map through a Jackson
 * any-setter, so {@code FAIL_ON_UNKNOWN_PROPERTIES} alone would never fire. The mapper here removes the any-setter of
 * every fabric8 model class before Jackson builds its deserializer, and turns that failure on: a misspelled
 * {@code imagePullPolicyy} then fails with Jackson's "Unrecognized property" and the path to it. Maps that are maps
 * in the schema ({@code labels}, a ConfigMap's {@code data}) still take any key.
 */
public final class StrictKubernetes {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization(
            JsonMapper.builderWithJackson2Defaults()
                    .addModule(new io.fabric8.kubernetes.model.jackson.Jackson2JdkTypesModule())
                    .addModule(new SimpleModule("sluice-strict-kubernetes").setDeserializerModifier(
                            new NoAnySetter()))
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .build(),
            true);

    private StrictKubernetes() {
    }

    /**
     * Every object of a multi-document YAML stream (empty documents skipped), in order.
     *
     * @throws IllegalArgumentException naming the document and the field when one does not fit the schema
     */
    public static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        Dump dump = new Dump(DumpSettings.builder().build());
        int index = 0;
        for (Object document : new Load(LoadSettings.builder().build()).loadAllFromString(yaml)) {
            index++;
            if (document == null) {
                continue;
            }
            // One document at a time, so an error says which object it is in.
            String text = dump.dumpToString(document);
            KubernetesResource parsed;
            try {
                parsed = SERIALIZATION.unmarshal(text, KubernetesResource.class);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("document " + index + " (" + describe(document) + "): "
                        + rootMessage(e), e);
            }
            if (parsed instanceof GenericKubernetesResource generic) {
                throw new IllegalArgumentException("document " + index + " (" + describe(document)
                        + "): kind " + generic.getApiVersion() + "/" + generic.getKind()
                        + " is not in the Kubernetes model");
            }
            if (!(parsed instanceof HasMetadata object)) {
                throw new IllegalArgumentException("document " + index + " (" + describe(document)
                        + "): not a Kubernetes object with metadata");
            }
            objects.add(object);
        }
        return List.copyOf(objects);
    }

    private static String describe(Object document) {
        if (document instanceof java.util.Map<?, ?> map) {
            Object metadata = map.get("metadata");
            Object name = metadata instanceof java.util.Map<?, ?> m ? m.get("name") : null;
            return map.get("kind") + " " + name;
        }
        return String.valueOf(document);
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage();
    }

    /** Drops the any-setter of fabric8's model classes, so an unknown property reaches FAIL_ON_UNKNOWN_PROPERTIES. */
    private static final class NoAnySetter extends ValueDeserializerModifier {
        @Override
        public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription.Supplier bean,
                                                     BeanDeserializerBuilder builder) {
            if (bean.getBeanClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
                builder.setAnySetter(null);
            }
            return builder;
        }
    }
}
