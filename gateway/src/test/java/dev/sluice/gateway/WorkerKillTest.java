package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * At most once, with real processes: one gateway and three workers, each a separate JVM on loopback, tenancy and
 * quotas on a real Redis. Clients send a bounded load of short calls ({@code hello}, each with its own call number,
 * which it echoes) mixed with 200 ms ones ({@code sleep}), and one worker is killed with SIGKILL while one of its
 * sleeps runs. Every request gets an answer (none hangs: the clients' timeout is never reached), each answer is
 * completed ({@code 200}, carrying its own call's output), {@code 502 worker-lost}, or refused ({@code 503},
 * {@code 429}), and together they add up to the requests sent. The workers' trace of the guest runs they started
 * (one DEBUG line each, written before the kill) shows that no call ran twice: runs on all workers are at least the
 * completed calls and at most the completed plus the lost ones, so no refused call ran and no lost call ran again.
 *
 * <p>Reproduce with {@code ./mvnw -B -ntp -pl gateway -am verify -Dtest=WorkerKillTest
 * -Dsurefire.failIfNoSpecifiedTests=false}; it prints the counts it reconciled.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class WorkerKillTest {
    private static final int WORKERS = 3;
    private static final int CALLS = 480;
    private static final int CLIENTS = 6;
    /** Every fourth call sleeps 200 ms in the guest, so calls are in flight when the worker dies. */
    private static final int SLOW_EVERY = 4;
    private static final int KILL_AFTER_ANSWERS = CALLS / 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "kill-test-worker-secret-0123456789abcdef";
    /** The worker's DEBUG trace line, one per invocation handed to its pool (WorkerService). */
    private static final java.util.regex.Pattern ANY_STARTED = java.util.regex.Pattern.compile(
            "invocation started: \\S+/\\S+$");
    private static final java.util.regex.Pattern SLEEP_STARTED = java.util.regex.Pattern.compile(
            "invocation started: \\S+/sleep$");

    @TempDir
    Path dir;
    @RegisterExtension
    final Processes processes = new Processes();

    /** What became of each call, by client-visible class. */
    record Tally(Map<String, Integer> outcomes, Map<Integer, Integer> statuses, int completedAfterKill) {
        int get(String outcome) {
            return outcomes.getOrDefault(outcome, 0);
        }
    }

    @Test
    void killingAWorkerUnderLoadAnswersEveryCallAndRunsNoCallTwice() throws Exception {
        RedisTestServer redis = processes.redis();
        Path gatewayData = dir.resolve("gateway").resolve("data");
        List<GatewayProcess> workers = new ArrayList<>();
        for (int i = 1; i <= WORKERS; i++) {
            Path workerDir = dir.resolve("worker-" + i);
            // Shared tenancy: the workers fetch modules by digest from Redis, where the gateway stores them.
            workers.add(processes.start(GatewayProcess.launch("worker", "worker-" + i, workerDir, Map.of(
                    "worker-id", "worker-" + i, "worker-port", "0", "workers", "8", "worker-secret", SECRET,
                    "tenancy-store", "redis", "redis-uri", redis.uri()), tracing(workerDir))));
        }
        // Eight pool threads for at most six calls at once: no call ever waits in a worker's own queue, so each
        // traced call is one guest run.
        for (GatewayProcess worker : workers) {
            worker.awaitPort(Duration.ofSeconds(120));
        }
        Map<String, String> settings = new LinkedHashMap<>(Map.of(
                "port", "0", "data-dir", gatewayData.toString(), "workers", "4",
                "tenancy-store", "redis", "quota-store", "redis", "redis-uri", redis.uri(),
                "default-requests-per-second", "100000", "default-burst", "100000"));
        settings.put("worker-discovery", "static");
        settings.put("worker-secret", SECRET);
        settings.put("worker-addresses", workers.stream().map(w -> "127.0.0.1:" + w.port())
                .collect(Collectors.joining(",")));
        GatewayProcess gateway = processes.start(GatewayProcess.launch("gateway", "gateway", dir.resolve("gateway"),
                settings, GatewayProcess.SMALL_JVM));
        gateway.awaitPort(Duration.ofSeconds(120));
        gateway.awaitReady(processes.http, Duration.ofSeconds(60));

        String key = tenantWithKey(gateway, "acme");
        for (String function : List.of("hello", "sleep")) {
            HttpResponse<String> deployed = send(HttpRequest.newBuilder(gateway.uri("/v1/functions/" + function))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/wasm")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(TestModules.load(function))));
            assertEquals(201, deployed.statusCode(), deployed.body());
        }
        GatewayProcess victim = workers.get(1);
        Tally tally = load(gateway, key, victim);

        List<GatewayProcess> survivors = workers.stream().filter(w -> w != victim).toList();
        for (GatewayProcess survivor : survivors) {
            assertTrue(survivor.alive(), survivor.name + " runs on:\n" + survivor.output());
            JsonNode health = workerHealth(survivor);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (runs(survivor) < health.get("started").asLong() && System.nanoTime() < deadline) {
                Thread.sleep(20); // the last trace lines may still be on their way through the pipe
            }
            assertEquals(health.get("started").asLong(), runs(survivor),
                    survivor.name + "'s trace agrees with its own count: " + health);
        }
        long ranOnVictim = runs(victim);
        long ranOnSurvivors = survivors.stream().mapToLong(WorkerKillTest::runs).sum();
        long runs = ranOnVictim + ranOnSurvivors;
        int completed = tally.get("completed");
        int lost = tally.get("worker-lost");
        int timedOut = tally.get("timed-out");
        int refused = tally.get("refused");
        System.out.printf("worker kill: %d calls sent by %d clients (every %dth sleeps 200 ms), %s killed after %d"
                        + " answers: completed %d (%d after the kill), worker-lost %d, timed out %d, refused %d,"
                        + " unanswered %d, other %d; statuses %s; guest runs started: %s %d, survivors %s = %d,"
                        + " total %d%n", CALLS, CLIENTS, SLOW_EVERY, victim.name, KILL_AFTER_ANSWERS, completed,
                tally.completedAfterKill, lost, timedOut, refused, tally.get("unanswered"), tally.get("other"),
                new TreeMap<>(tally.statuses), victim.name, ranOnVictim,
                survivors.stream().map(w -> w.name + " " + runs(w)).toList(), ranOnSurvivors, runs);

        assertEquals(0, tally.get("unanswered"), "every request is answered: " + tally);
        assertEquals(0, tally.get("other"), "only completed, worker-lost, timed out or refused: " + tally);
        assertEquals(CALLS, completed + lost + timedOut + refused, "completed + worker-lost + refused == sent");
        assertTrue(lost >= 1, "the kill caught a call in flight, answered 502 worker-lost: " + tally);
        assertTrue(tally.completedAfterKill > 0, "the surviving workers took over: " + tally);
        assertTrue(runs >= completed, "each completed call ran: " + runs + " runs, " + completed + " completed");
        assertTrue(runs <= completed + lost + timedOut, "no call ran twice, no refused call ran: " + runs
                + " runs for " + completed + " completed + " + (lost + timedOut) + " lost");
        assertTrue(gateway.alive(), "the gateway runs on:\n" + gateway.output());
        gateway.awaitReady(processes.http, Duration.ofSeconds(60));
    }

    /**
     * {@value #CALLS} calls from {@value #CLIENTS} clients; {@code victim} is killed with SIGKILL once
     * {@value #KILL_AFTER_ANSWERS} calls were answered, right after it started a sleep (so that sleep is in flight).
     */
    Tally load(GatewayProcess gateway, String key, GatewayProcess victim) throws Exception {
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger completedAfterKill = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        CountDownLatch killNow = new CountDownLatch(1);
        Thread killer = new Thread(() -> {
            try {
                killNow.await();
                // The trace names the function by its owner's internal id: "invocation started: <owner>/sleep".
                long sleeps = lines(victim, SLEEP_STARTED);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (lines(victim, SLEEP_STARTED) == sleeps && System.nanoTime() < deadline) {
                    Thread.sleep(2); // watching another process's output
                }
                killed.set(victim.kill(Duration.ofSeconds(30)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "killer");
        killer.start();
        try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                running.add(clients.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < CALLS; ) {
                        boolean slow = i % SLOW_EVERY == 0;
                        String outcome = call(gateway, key, i, slow, statuses);
                        outcomes.merge(outcome, 1, Integer::sum);
                        if (outcome.equals("completed") && killed.get()) {
                            completedAfterKill.incrementAndGet();
                        }
                        if (answered.incrementAndGet() == KILL_AFTER_ANSWERS) {
                            killNow.countDown();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> client : running) {
                client.get();
            }
        }
        killNow.countDown();
        killer.join(TimeUnit.SECONDS.toMillis(60));
        assertTrue(killed.get(), victim.name + " was killed during the load");
        return new Tally(Map.copyOf(outcomes), Map.copyOf(statuses), completedAfterKill.get());
    }

    /** One call, classified: completed (with its own output), worker-lost, timed-out, refused, unanswered, other. */
    String call(GatewayProcess gateway, String key, int i, boolean slow, Map<Integer, Integer> statuses) {
        HttpRequest request = HttpRequest.newBuilder(gateway.uri(slow ? "/v1/functions/sleep/invoke"
                        : "/v1/functions/hello/invoke?call=" + i))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> reply;
        try {
            reply = processes.http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return "unanswered";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unanswered";
        }
        statuses.merge(reply.statusCode(), 1, Integer::sum);
        return switch (reply.statusCode()) {
            case 200 -> reply.body().equals(slow ? "slept\n" : "hello call=" + i + "\n") ? "completed" : "other";
            case 502 -> reply.body().contains("/problems/worker-lost") ? "worker-lost" : "other";
            case 504 -> "timed-out";
            case 503, 429 -> "refused";
            default -> "other";
        };
    }

    /** The worker's own count, from its internal health endpoint (HTTP/1.1 with the worker secret). */
    JsonNode workerHealth(GatewayProcess worker) throws IOException {
        HttpResponse<String> health = worker.workerHealth(processes.http, SECRET);
        assertEquals(200, health.statusCode(), health.body());
        return JSON.readTree(health.body());
    }

    /**
     * Small JVM options plus a logging configuration that turns on the worker's per-invocation trace, so what a
     * worker ran can be counted even after a SIGKILL: every line was written before it died.
     */
    static List<String> tracing(Path dir) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        Path logging = java.nio.file.Files.writeString(dir.resolve("logging.properties"), """
                handlers = java.util.logging.ConsoleHandler
                .level = INFO
                java.util.logging.ConsoleHandler.level = ALL
                dev.sluice.gateway.remote.WorkerService.level = FINE
                """);
        List<String> options = new ArrayList<>(GatewayProcess.SMALL_JVM);
        options.add("-Djava.util.logging.config.file=" + logging);
        return options;
    }

    /** Guest runs a worker's trace shows. */
    static long runs(GatewayProcess worker) {
        return lines(worker, ANY_STARTED);
    }

    static long lines(GatewayProcess process, java.util.regex.Pattern pattern) {
        return process.output().lines().filter(line -> pattern.matcher(line).find()).count();
    }

    String tenantWithKey(GatewayProcess gateway, String tenant) throws IOException {
        HttpResponse<String> created = send(gateway.admin("/admin/v1/tenants/" + tenant)
                .PUT(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(201, created.statusCode(), created.body());
        HttpResponse<String> key = send(gateway.admin("/admin/v1/tenants/" + tenant + "/keys")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"load\"}")));
        assertEquals(201, key.statusCode(), key.body());
        return JSON.readTree(key.body()).get("key").asText();
    }

    HttpResponse<String> send(HttpRequest.Builder request) {
        return GatewayProcess.send(processes.http, request.timeout(Duration.ofSeconds(30)));
    }
}
