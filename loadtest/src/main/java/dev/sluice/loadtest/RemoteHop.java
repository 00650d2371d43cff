package dev.sluice.loadtest;

import dev.sluice.tenancy.testing.RedisTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The latency the remote hop adds: sequential {@code hello} calls through {@code sluice serve} (all in one), then
 * through {@code sluice gateway} dispatching to one {@code sluice worker} over h2c, each a separate process on
 * loopback with the same shared stores (tenancy and quotas on a Redis it starts), so the hop is the only difference.
 *
 * <p>{@code RemoteHop [--calls N] [--warmup N]}: prints p50/p90/p99 of each set-up and the difference. Bounded by the
 * call counts; everything it starts is stopped and its temporary directory removed.
 */
public final class RemoteHop {
    private RemoteHop() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "calls", "warmup");
        int calls = Integer.parseInt(options.getOrDefault("calls", "5000"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "2000"));
        System.out.printf("RemoteHop: sequential hello, %d warm-up + %d measured calls per set-up, one client;"
                + " %d cores on this machine%n", warmup, calls, Runtime.getRuntime().availableProcessors());
        Path dir = Files.createTempDirectory("sluice-remote-hop");
        Map<String, Percentiles> results = new LinkedHashMap<>();
        try (RedisTestServer redis = RedisTestServer.start()) {
            Map<String, String> stores = RoleProcess.sharedStores(redis.uri());
            Duration start = Duration.ofSeconds(120);

            int servePort = RoleProcess.freePort();
            Map<String, String> serve = new LinkedHashMap<>(stores);
            serve.put("port", Integer.toString(servePort));
            try (RoleProcess all = RoleProcess.launch("serve", "serve", servePort, dir.resolve("serve"), serve)) {
                all.awaitReady(true, start);
                results.put("serve (all in one)", SequentialLatency.run(all.uri(), RoleProcess.ADMIN_TOKEN, calls,
                        warmup));
            }
            try (RoleProcess worker = RoleProcess.worker("worker-1", RoleProcess.freePort(), dir.resolve("worker-1"),
                    stores);
                 RoleProcess gateway = RoleProcess.gateway("gateway", RoleProcess.freePort(), dir.resolve("gateway"),
                         stores, List.of(worker))) {
                worker.awaitReady(false, start);
                gateway.awaitReady(true, start);
                results.put("gateway -> 1 worker", SequentialLatency.run(gateway.uri(), RoleProcess.ADMIN_TOKEN,
                        calls, warmup));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.out.println();
        System.out.println("| set-up | calls | p50 ms | p90 ms | p99 ms |");
        System.out.println("|---|---:|---:|---:|---:|");
        results.forEach((name, p) -> System.out.printf("| %s | %d | %.3f | %.3f | %.3f |%n", name, p.count(),
                p.percentile(50) / 1e6, p.percentile(90) / 1e6, p.percentile(99) / 1e6));
        List<Percentiles> both = List.copyOf(results.values());
        System.out.printf("added by the remote hop: p50 %+.3f ms, p99 %+.3f ms%n",
                (both.get(1).percentile(50) - both.get(0).percentile(50)) / 1e6,
                (both.get(1).percentile(99) - both.get(0).percentile(99)) / 1e6);
    }
}
