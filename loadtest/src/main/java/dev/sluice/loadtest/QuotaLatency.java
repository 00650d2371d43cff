package dev.sluice.loadtest;

import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.quota.ConcurrencyLimiter;
import dev.sluice.tenancy.quota.FailPolicy;
import dev.sluice.tenancy.quota.FuelBudget;
import dev.sluice.tenancy.quota.QuotaPolicy;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.redis.RedisSettings;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a quota check costs: latency per check (p50/p99) of the Redis-backed quotas against the in-process ones, and
 * the throughput of one hot tenant hammered by many threads through each.
 *
 * <p>{@code QuotaLatency [--calls N] [--warmup N] [--threads N] [--seconds S] [--redis redis://127.0.0.1:PORT]}.
 * Without {@code --redis} it starts its own redis-server (the test server) on a free loopback port. Only loopback
 * Redis is accepted; keys go under a fresh prefix. The run is bounded by the options and stops by itself.
 */
public final class QuotaLatency {
    private static final QuotaPolicy UNLIMITED = QuotaPolicy.rate(1_000_000_000L, 1_000_000_000L);
    private static final Duration LEASE = Duration.ofMinutes(1);
    private static final long FUEL_BUDGET = Long.MAX_VALUE / 4;

    private QuotaLatency() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "calls", "warmup", "threads", "seconds", "redis");
        int calls = Integer.parseInt(options.getOrDefault("calls", "20000"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "20000"));
        int threads = Integer.parseInt(options.getOrDefault("threads", "16"));
        int seconds = Integer.parseInt(options.getOrDefault("seconds", "3"));
        Optional<String> uri = Optional.ofNullable(options.get("redis"));
        RedisTestServer server = uri.isPresent() ? null : RedisTestServer.start();
        String redisUri = uri.orElseGet(server::uri);
        if (!InetAddress.getByName(URI.create(redisUri).getHost()).isLoopbackAddress()) {
            throw new IllegalArgumentException(redisUri + ": load is only ever sent to loopback addresses");
        }
        Path dir = Files.createTempDirectory("sluice-quota-latency");
        RedisSettings settings = new RedisSettings(redisUri, false, Duration.ofMillis(250), FailPolicy.FAIL_CLOSED,
                1, "bench-" + Long.toHexString(System.nanoTime()) + ":");
        System.out.printf("quota checks, %d warm-up + %d measured sequential calls; hot tenant: %d threads x %d s;"
                + " %d CPUs; redis %s%n", warmup, calls, threads, seconds,
                Runtime.getRuntime().availableProcessors(), server == null ? redisUri : "test server (loopback)");
        try (Quotas local = Quotas.local(dir, InstantSource.system(), System::nanoTime);
             Quotas redis = Quotas.redis(settings, InstantSource.system(), System::nanoTime)) {
            for (var check : checks()) {
                System.out.printf("%-40s local  %s%n", check.name(), latency(local, check.body(), warmup, calls));
                System.out.printf("%-40s redis  %s%n", check.name(), latency(redis, check.body(), warmup, calls));
            }
            for (var check : checks()) {
                System.out.printf("hot tenant, %-29s local  %,12.0f checks/s%n", check.name(),
                        throughput(local, check.body(), threads, seconds));
                System.out.printf("hot tenant, %-29s redis  %,12.0f checks/s%n", check.name(),
                        throughput(redis, check.body(), threads, seconds));
            }
            if (redis.fallbacks() + redis.refusals() > 0) {
                System.out.printf("warning: %d fallbacks, %d refusals during the run%n", redis.fallbacks(),
                        redis.refusals());
            }
        } finally {
            if (server != null) {
                server.close();
            }
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private record Check(String name, QuotaCheck body) {}

    @FunctionalInterface
    private interface QuotaCheck {
        void check(Quotas quotas, TenantUid tenant);
    }

    private static List<Check> checks() {
        return List.of(
                new Check("rate (token bucket)", (q, t) -> require(q.rates().tryAcquire(t, UNLIMITED).granted())),
                new Check("concurrency (acquire+release)", (q, t) -> {
                    ConcurrencyLimiter.ConcurrencyDecision d = q.concurrency().tryAcquire(t, 1_000_000, LEASE);
                    require(d.granted());
                    d.lease().orElseThrow().close();
                }),
                new Check("fuel (reserve+settle)", (q, t) -> {
                    FuelBudget.FuelDecision d = q.fuel().reserve(t, FUEL_BUDGET, 1_000);
                    require(d.granted());
                    d.reservation().orElseThrow().settle(10);
                }));
    }

    private static void require(boolean granted) {
        if (!granted) {
            throw new IllegalStateException("a benchmark check was denied: the quotas are meant to be unlimited");
        }
    }

    /** Sequential checks over 100 tenants, so buckets are not all one key. */
    private static String latency(Quotas quotas, QuotaCheck check, int warmup, int calls) {
        List<TenantUid> tenants = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            tenants.add(TenantUid.of("latency-" + i));
        }
        for (int i = 0; i < warmup; i++) {
            check.check(quotas, tenants.get(i % tenants.size()));
        }
        Percentiles latencies = new Percentiles(calls);
        for (int i = 0; i < calls; i++) {
            long started = System.nanoTime();
            check.check(quotas, tenants.get(i % tenants.size()));
            latencies.add(System.nanoTime() - started);
        }
        return latencies.summary();
    }

    /** One tenant, {@code threads} threads checking as fast as they can for {@code seconds}. */
    private static double throughput(Quotas quotas, QuotaCheck check, int threads, int seconds)
            throws InterruptedException {
        TenantUid hot = TenantUid.of("hot-" + Long.toHexString(System.nanoTime()));
        LongAdder done = new LongAdder();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds + 1).toNanos();
        long measureFrom = deadline - Duration.ofSeconds(seconds).toNanos();
        for (int i = 0; i < threads; i++) {
            Thread worker = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                long now;
                while ((now = System.nanoTime()) < deadline) {
                    check.check(quotas, hot);
                    if (now >= measureFrom) {
                        done.increment();
                    }
                }
            });
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        return done.sum() / (double) seconds;
    }

}
