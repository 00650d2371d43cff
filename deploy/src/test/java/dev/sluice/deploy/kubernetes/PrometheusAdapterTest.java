package dev.sluice.deploy.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.deploy.support.Kustomize;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The custom metrics the HPAs scale on exist end to end, as far as can be seen without a cluster: Prometheus scrapes
 * the port the pods name {@code metrics} and may reach, the adapter's rules turn Sluice's series (as documented in
 * docs/observability.md) into exactly the metric names the HPAs ask for, and their PromQL parses.
 */
class PrometheusAdapterTest {
    private static final Path ADAPTER = Path.of("kubernetes", "prometheus-adapter");
    private static final Pattern METRIC_ROW = Pattern.compile("^\\| `([a-z_]+)` \\| (counter|gauge|histogram) \\|",
            Pattern.MULTILINE);

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rules() throws IOException {
        Map<String, Object> config = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(ADAPTER.resolve("rules.yaml")));
        return (List<Map<String, Object>>) config.get("rules");
    }

    @SuppressWarnings("unchecked")
    private static String as(Map<String, Object> rule) {
        return (String) ((Map<String, Object>) rule.get("name")).get("as");
    }

    private static String series(Map<String, Object> rule) {
        String query = (String) rule.get("seriesQuery");
        return query.substring(0, query.indexOf('{'));
    }

    @Test
    void theOverlayRendersTheRulesAsTheAdaptersConfigMapInMonitoring() throws IOException {
        Kustomize.assumeKubectl();
        List<HasMetadata> objects = Kustomize.render(ADAPTER);
        assertEquals(1, objects.size(), "prometheus-adapter renders one object");
        ConfigMap map = (ConfigMap) objects.get(0);
        assertEquals("adapter-config", map.getMetadata().getName(), "the kube-prometheus adapter's ConfigMap name");
        assertEquals("monitoring", map.getMetadata().getNamespace());
        assertEquals(Files.readString(ADAPTER.resolve("rules.yaml")), map.getData().get("config.yaml"));
    }

    @Test
    void theRulesServeExactlyThePodsMetricsTheHpasAskFor() throws IOException {
        Set<String> asked = new TreeSet<>();
        for (HorizontalPodAutoscaler hpa : Layout.of("distributed").all(HorizontalPodAutoscaler.class)) {
            for (MetricSpec metric : hpa.getSpec().getMetrics()) {
                if (metric.getType().equals("Pods")) {
                    asked.add(metric.getPods().getMetric().getName());
                }
            }
        }
        Set<String> served = new TreeSet<>(rules().stream().map(PrometheusAdapterTest::as).toList());
        assertEquals(asked, served, "HPA Pods metrics against the adapter rules' name.as");
        for (Map<String, Object> rule : rules()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> overrides = (Map<String, Object>) ((Map<String, Object>) rule.get("resources"))
                    .get("overrides");
            assertEquals(Set.of("namespace", "pod"), overrides.keySet(), as(rule) + ": resources.overrides");
        }
    }

    @Test
    void everyRuleReadsADocumentedSeriesAndRatesOnlyCounters() throws IOException {
        String docs = Files.readString(Path.of("..", "docs", "observability.md"));
        Map<String, String> types = new java.util.HashMap<>();
        Matcher row = METRIC_ROW.matcher(docs);
        while (row.find()) {
            types.put(row.group(1), row.group(2));
        }
        for (Map<String, Object> rule : rules()) {
            String series = series(rule);
            String type = types.get(series);
            assertTrue(type != null, as(rule) + ": " + series + " is not in docs/observability.md's metric table");
            boolean rated = ((String) rule.get("metricsQuery")).contains("rate(");
            assertEquals(type.equals("counter"), rated, as(rule) + ": " + series + " is a " + type
                    + (rated ? ", not a counter to rate()" : ": a counter needs rate()"));
        }
    }

    @Test
    void theMetricsQueriesAreValidPromqlForPromtool() throws Exception {
        Assumptions.assumeTrue(onPath("promtool"), "promtool (Debian package prometheus) is not installed");
        StringBuilder file = new StringBuilder("groups:\n  - name: sluice-adapter\n    rules:\n");
        for (Map<String, Object> rule : rules()) {
            // What the adapter substitutes for one HPA query about two pods of the namespace sluice.
            String query = ((String) rule.get("metricsQuery")).replace("<<.Series>>", series(rule))
                    .replace("<<.LabelMatchers>>", "namespace=\"sluice\",pod=~\"a|b\"")
                    .replace("<<.GroupBy>>", "pod");
            assertTrue(!query.contains("<<"), as(rule) + ": a template field the check does not know: " + query);
            file.append("      - record: ").append(as(rule)).append("\n        expr: '").append(query).append("'\n");
        }
        Path rulesFile = Files.writeString(dir.resolve("adapter-queries.yml"), file);
        Process promtool = new ProcessBuilder("promtool", "check", "rules", rulesFile.toString())
                .redirectErrorStream(true).start();
        String output = new String(promtool.getInputStream().readAllBytes());
        assertTrue(promtool.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, promtool.exitValue(), "promtool check rules refused the adapter's queries:\n" + output + file);
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesThePortNamedMetricsOfEverySluicePodAndMayReachIt() throws IOException {
        Map<String, Object> prometheus = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(ADAPTER.resolve("scrape-config.yaml")));
        Map<String, Object> job = ((List<Map<String, Object>>) prometheus.get("scrape_configs")).get(0);
        Map<String, Object> discovery = ((List<Map<String, Object>>) job.get("kubernetes_sd_configs")).get(0);
        assertEquals("pod", discovery.get("role"), "the scrape job discovers pods");
        assertEquals(Map.of("names", List.of("sluice")), discovery.get("namespaces"),
                "the scrape job looks in the namespace the overlays set");
        assertTrue(((List<Map<String, Object>>) job.get("relabel_configs")).contains(Map.of(
                "source_labels", List.of("__meta_kubernetes_pod_container_port_name"), "regex", "metrics",
                "action", "keep")), "the scrape job keeps the container port named metrics");
        for (String layoutName : Layout.APPLICABLE) {
            Layout layout = Layout.of(layoutName);
            List<String> unreachable = new ArrayList<>();
            for (Deployment deployment : layout.all(Deployment.class)) {
                if (!Layout.runsSluice(deployment)) {
                    continue;
                }
                String where = layout.where(deployment);
                Map<String, String> annotations = deployment.getSpec().getTemplate().getMetadata().getAnnotations();
                int metrics = Layout.namedPort(Layout.sluiceContainer(deployment), "metrics");
                assertEquals("true", annotations.get("prometheus.io/scrape"), where + " prometheus.io/scrape");
                assertEquals(String.valueOf(metrics), annotations.get("prometheus.io/port"), where
                        + " prometheus.io/port against the container port named metrics");
                assertEquals("/metrics", annotations.get("prometheus.io/path"), where + " prometheus.io/path");
                if (!layout.all(NetworkPolicy.class).isEmpty() && !allowsMonitoring(layout, deployment)) {
                    unreachable.add(where);
                }
            }
            assertEquals(List.of(), unreachable, layoutName + ": pods whose metrics port the NetworkPolicies keep "
                    + "the namespace monitoring from");
        }
    }

    private static boolean allowsMonitoring(Layout layout, Deployment deployment) {
        return layout.all(NetworkPolicy.class).stream()
                .filter(p -> Layout.matches(p.getSpec().getPodSelector(), Layout.podLabels(deployment)))
                .flatMap(p -> p.getSpec().getIngress().stream())
                .anyMatch(rule -> rule.getPorts().stream()
                        .anyMatch(port -> "metrics".equals(port.getPort().getStrVal()))
                        && rule.getFrom().stream().anyMatch(peer -> peer.getNamespaceSelector() != null
                                && "monitoring".equals(peer.getNamespaceSelector().getMatchLabels()
                                        .get("kubernetes.io/metadata.name"))));
    }

    private static boolean onPath(String command) {
        for (String directory : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, command))) {
                return true;
            }
        }
        return false;
    }
}
