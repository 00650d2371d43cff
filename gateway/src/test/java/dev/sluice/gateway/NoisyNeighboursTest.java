package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Noisy neighbours seen from outside: the gateway runs as its own process (as {@code ./sluice serve} runs it) with the
 * default worker settings, hostile tenants hold every worker they may with sleepers and busy loops and flood it with
 * more, and a well-behaved tenant calls {@code hello} meanwhile. The CPU load is the hostile tenants' own: their loops
 * run in the gateway process. Every one of the victim's calls must succeed; its latencies are printed, not asserted.
 */
class NoisyNeighboursTest {
    private static final String ADMIN_TOKEN = GatewayProcess.ADMIN_TOKEN;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The longest a default tenant's function may run; hostile calls hold their worker that long. */
    private static final int HOSTILE_TIMEOUT_MS = 10_000;
    /** Long enough that the first hostile wave ends (proving it held its workers) while the victim calls. */
    private static final Duration VICTIM_PHASE = Duration.ofMillis(HOSTILE_TIMEOUT_MS + 2_000);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicBoolean hostile = new AtomicBoolean(true);
    private GatewayProcess gateway;
    private URI base;

    @AfterEach
    void stop() throws InterruptedException {
        hostile.set(false);
        if (gateway != null) {
            gateway.close();
        }
        clients.shutdownNow();
        clients.awaitTermination(10, TimeUnit.SECONDS);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aVictimsCallsAllSucceedBesideTwoHostileTenantsOfSleepersAndLoops() throws Exception {
        start();
        String victim = victim();
        Map<Integer, Integer> sleepers = flood(hostileTenant("sleepers"), List.of("sleep-forever"), clientsPerTenant());
        Map<Integer, Integer> loops = flood(hostileTenant("loops"), List.of("infinite-loop"), clientsPerTenant());

        Percentiles latencies = victimCalls(victim);

        System.out.println("victim beside two hostile tenants (sleepers, loops): " + latencies.summary());
        assertHeldTheirWorkers(sleepers, "sleepers");
        assertHeldTheirWorkers(loops, "loops");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aVictimsCallsAllSucceedBesideThreeHostileTenantsOfSleepersLoopsAndAFlood() throws Exception {
        start();
        String victim = victim();
        Map<Integer, Integer> sleepers = flood(hostileTenant("sleepers"), List.of("sleep-forever"), clientsPerTenant());
        Map<Integer, Integer> loops = flood(hostileTenant("loops"), List.of("infinite-loop"), clientsPerTenant());
        Map<Integer, Integer> flood = flood(hostileTenant("flood"), List.of("sleep-forever", "infinite-loop"),
                4 * clientsPerTenant());

        Percentiles latencies = victimCalls(victim);

        System.out.println("victim beside three hostile tenants (sleepers, loops, flood): " + latencies.summary());
        assertHeldTheirWorkers(sleepers, "sleepers");
        assertHeldTheirWorkers(loops, "loops");
        assertHeldTheirWorkers(flood, "flood");
    }

    /** More concurrent callers than any default cap lets run (a quarter of 4 threads per core), so a backlog queues. */
    private static int clientsPerTenant() {
        return Runtime.getRuntime().availableProcessors() + 6;
    }

    /** Sequential hello calls for {@link #VICTIM_PHASE}; each must answer 200 with its greeting. */
    private Percentiles victimCalls(String key) throws Exception {
        Percentiles latencies = new Percentiles();
        long end = System.nanoTime() + VICTIM_PHASE.toNanos();
        for (int i = 0; System.nanoTime() < end; i++) {
            long started = System.nanoTime();
            HttpResponse<String> reply = send(request("/v1/functions/hello/invoke?n=" + i, key).GET());
            latencies.add(System.nanoTime() - started);
            assertEquals(200, reply.statusCode(), () -> "victim call " + latencies.count() + ": " + reply.body()
                    + "\n" + gatewayLog());
            assertEquals("hello n=" + i + "\n", reply.body());
            Thread.sleep(100); // a steady caller, not a flood of its own
        }
        return latencies;
    }

    /**
     * The hostile tenant's calls were really holding workers: in the victim's phase some ran their whole timeout (a
     * sleeper or loop answered 504) and none was refused for a reason other than its own backlog.
     */
    private static void assertHeldTheirWorkers(Map<Integer, Integer> answers, String tenant) {
        assertTrue(answers.getOrDefault(504, 0) > 0, tenant + " never ran a call to its timeout: " + answers);
        assertTrue(answers.keySet().stream().allMatch(s -> s == 504 || s == 503), tenant + ": " + answers);
    }

    /** Callers invoking the functions round-robin until the test ends; returns the answers' statuses by count. */
    private Map<Integer, Integer> flood(String key, List<String> functions, int callers) {
        Map<Integer, Integer> answers = new ConcurrentHashMap<>();
        for (int c = 0; c < callers; c++) {
            int first = c;
            clients.submit(() -> {
                for (int i = first; hostile.get(); i++) {
                    String function = functions.get(i % functions.size());
                    try {
                        int status = send(request("/v1/functions/" + function + "/invoke", key)
                                .POST(HttpRequest.BodyPublishers.noBody())).statusCode();
                        answers.merge(status, 1, Integer::sum);
                    } catch (IOException | InterruptedException stopped) {
                        return null; // the test is over: the gateway stopped or the caller was interrupted
                    }
                }
                return null;
            });
        }
        return answers;
    }

    /** A tenant allowed to hold its workers as long and hard as a default tenant can, with both fixtures. */
    private String hostileTenant(String name) throws Exception {
        String key = tenant(name, "{\"requests-per-second\": 100000, \"burst\": 100000,"
                + " \"max-fuel-per-call\": 1000000000000}");
        for (String fixture : List.of("sleep-forever", "infinite-loop")) {
            deploy(key, fixture, "?timeout-ms=" + HOSTILE_TIMEOUT_MS + "&fuel=1000000000000");
        }
        return key;
    }

    private String victim() throws Exception {
        String key = tenant("victim", "{\"requests-per-second\": 1000, \"burst\": 1000}");
        deploy(key, "hello", "");
        HttpResponse<String> warm = send(request("/v1/functions/hello/invoke?n=warm", key).GET());
        assertEquals(200, warm.statusCode(), warm.body());
        return key;
    }

    private String tenant(String name, String limits) throws Exception {
        HttpResponse<String> created = send(admin("/admin/v1/tenants/" + name)
                .PUT(HttpRequest.BodyPublishers.ofString(limits)));
        assertEquals(201, created.statusCode(), created.body());
        HttpResponse<String> key = send(admin("/admin/v1/tenants/" + name + "/keys")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"test\"}")));
        assertEquals(201, key.statusCode(), key.body());
        return JSON.readTree(key.body()).get("key").asText();
    }

    private void deploy(String key, String fixture, String query) throws Exception {
        HttpResponse<String> deployed = send(request("/v1/functions/" + fixture + query, key)
                .header("Content-Type", "application/wasm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(TestModules.load(fixture))));
        assertEquals(201, deployed.statusCode(), deployed.body());
    }

    private HttpRequest.Builder admin(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + ADMIN_TOKEN)
                .header("Content-Type", "application/json");
    }

    private HttpRequest.Builder request(String path, String key) {
        return HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + key);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /**
     * Starts {@code sluice serve} in a new JVM on this test's classpath, with a configuration that sets only where it
     * listens and keeps its data (every worker setting is the default), and waits for it to announce its port.
     */
    private void start() throws Exception {
        gateway = GatewayProcess.launch("gateway", dir, Map.of(
                "host", "127.0.0.1",
                "port", "0",
                // Stopping it at the end need not wait for the hostile calls.
                "shutdown-grace-ms", "0"), List.of());
        base = URI.create("http://127.0.0.1:" + gateway.awaitPort(Duration.ofSeconds(30)));
    }

    private String gatewayLog() {
        List<String> lines = gateway.output().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    /** Nearest-rank percentiles of latencies in nanoseconds. */
    private static final class Percentiles {
        private final List<Long> samples = new ArrayList<>();

        void add(long nanos) {
            samples.add(nanos);
        }

        int count() {
            return samples.size();
        }

        String summary() {
            List<Long> sorted = samples.stream().sorted().toList();
            return String.format("n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms", sorted.size(), at(sorted, 50),
                    at(sorted, 99), at(sorted, 100));
        }

        private static double at(List<Long> sorted, double p) {
            int rank = (int) Math.ceil(p / 100 * sorted.size());
            return sorted.get(Math.max(0, rank - 1)) / 1e6;
        }
    }
}
