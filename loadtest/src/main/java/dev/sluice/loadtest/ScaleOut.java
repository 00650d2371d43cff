package dev.sluice.loadtest;

import dev.sluice.tenancy.testing.RedisTestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

/**
 * Throughput of a CPU-bound function ({@code spin}: two million steps of a 64-bit generator per call) through one
 * {@code sluice gateway} with 1, 2 and 3 {@code sluice worker} processes on loopback, tenancy and quotas on a Redis it
 * starts. For each count it runs {@code --clients} concurrent callers for {@code --seconds} after a warm-up, and
 * reports calls per second and the CPU each process used during the measured window (user + system, from the OS),
 * with the number of cores of this machine: on a machine with fewer cores than workers, the workers share them and
 * the table shows it.
 *
 * <p>{@code ScaleOut [--workers 1,2,3] [--clients N] [--seconds S] [--warmup-seconds S] [--keep true]}. Bounded: at
 * most 120 s per phase; everything it starts is stopped and its temporary directory removed (kept, with every
 * process's log, with {@code --keep true}).
 */
public final class ScaleOut {
    private ScaleOut() {}

    record Phase(int workers, int ok, Map<Integer, Integer> failures, double seconds, double gatewayCpu,
            List<Double> workerCpu) {
        double rate() {
            return ok / seconds;
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "workers", "clients", "seconds", "warmup-seconds", "keep");
        boolean keep = Boolean.parseBoolean(options.getOrDefault("keep", "false"));
        List<Integer> counts = java.util.Arrays.stream(options.getOrDefault("workers", "1,2,3").split(","))
                .map(String::strip).map(Integer::parseInt).toList();
        int clients = Integer.parseInt(options.getOrDefault("clients", "8"));
        int seconds = Math.min(120, Integer.parseInt(options.getOrDefault("seconds", "20")));
        int warmup = Math.min(120, Integer.parseInt(options.getOrDefault("warmup-seconds", "10")));
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("ScaleOut: spin (CPU-bound), %d clients, %d s warm-up + %d s measured per set-up;"
                + " %d cores on this machine (shared by the load generator, the gateway, the workers and Redis)%n",
                clients, warmup, seconds, cores);
        Path dir = Files.createTempDirectory("sluice-scale-out");
        List<Phase> phases = new ArrayList<>();
        try (RedisTestServer redis = RedisTestServer.start()) {
            Map<String, String> stores = RoleProcess.sharedStores(redis.uri());
            for (int count : counts) {
                phases.add(phase(dir.resolve(count + "-workers"), stores, count, clients, warmup, seconds));
                System.out.println(summary(phases.getLast()));
            }
        } finally {
            if (keep) {
                System.out.println("configurations and logs kept in " + dir);
            } else {
                try (var files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        System.out.println();
        System.out.printf("| workers | calls/s | ms/call (%d clients) | failed | gateway CPU s | workers' CPU s | CPU"
                + " used / wall (all processes) |%n", clients);
        System.out.println("|---:|---:|---:|---:|---:|---|---:|");
        for (Phase p : phases) {
            double total = p.gatewayCpu + p.workerCpu.stream().mapToDouble(Double::doubleValue).sum();
            System.out.printf("| %d | %.1f | %.1f | %d | %.1f | %s | %.2f of %d cores |%n", p.workers, p.rate(),
                    clients * 1000.0 / p.rate(), p.failures.values().stream().mapToInt(Integer::intValue).sum(),
                    p.gatewayCpu, String.join(" + ", p.workerCpu.stream().map(c -> String.format("%.1f", c)).toList()),
                    total / p.seconds, cores);
        }
    }

    static String summary(Phase p) {
        return String.format("%d worker(s): %d calls in %.1f s = %.1f calls/s, failures %s; CPU s gateway %.1f,"
                        + " workers %s", p.workers, p.ok, p.seconds, p.rate(), new TreeMap<>(p.failures),
                p.gatewayCpu, p.workerCpu);
    }

    static Phase phase(Path dir, Map<String, String> stores, int count, int clients, int warmup, int seconds)
            throws Exception {
        List<RoleProcess> workers = new ArrayList<>();
        RoleProcess gateway = null;
        try {
            for (int i = 1; i <= count; i++) {
                workers.add(RoleProcess.worker("worker-" + i, RoleProcess.freePort(), dir.resolve("worker-" + i),
                        stores));
            }
            gateway = RoleProcess.gateway("gateway", RoleProcess.freePort(), dir.resolve("gateway"), stores, workers);
            for (RoleProcess worker : workers) {
                worker.awaitReady(false, Duration.ofSeconds(120));
            }
            gateway.awaitReady(true, Duration.ofSeconds(120));
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            try (BenchTenant tenant = BenchTenant.create(http, gateway.uri(), RoleProcess.ADMIN_TOKEN, "scale")) {
                tenant.deploy(gateway.uri(), "spin");
                HttpRequest invoke = tenant.invoke(gateway.uri(), "spin");
                load(http, invoke, clients, warmup); // JIT, compiled modules on every worker, connections
                double gatewayBefore = gateway.cpuSeconds();
                List<Double> workersBefore = workers.stream().map(RoleProcess::cpuSeconds).toList();
                long started = System.nanoTime();
                Map<Integer, Integer> statuses = load(http, invoke, clients, seconds);
                double elapsed = (System.nanoTime() - started) / 1e9;
                List<Double> workerCpu = new ArrayList<>();
                for (int i = 0; i < workers.size(); i++) {
                    workerCpu.add(workers.get(i).cpuSeconds() - workersBefore.get(i));
                }
                int ok = statuses.getOrDefault(200, 0);
                statuses.remove(200);
                return new Phase(count, ok, statuses, elapsed, gateway.cpuSeconds() - gatewayBefore, workerCpu);
            }
        } finally {
            if (gateway != null) {
                gateway.close();
            }
            workers.forEach(RoleProcess::close);
        }
    }

    /** {@code clients} callers invoking until {@code seconds} pass; answers by status (-1: no answer). */
    static Map<Integer, Integer> load(HttpClient http, HttpRequest invoke, int clients, int seconds)
            throws Exception {
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        int status;
                        try {
                            status = http.send(invoke, HttpResponse.BodyHandlers.discarding()).statusCode();
                        } catch (java.io.IOException e) {
                            status = -1;
                        }
                        statuses.merge(status, 1, Integer::sum);
                    }
                    return null;
                }));
            }
            for (Future<?> client : running) {
                client.get();
            }
        }
        return statuses;
    }
}
