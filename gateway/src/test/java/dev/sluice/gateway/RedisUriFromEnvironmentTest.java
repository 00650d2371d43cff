package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.config.StoreConfig;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code redis-uri} from {@code $SLUICE_REDIS_URI} when the configuration sets none (how a Kubernetes Secret gives
 * it, password included, without a file holding it), for every role and every Redis client of a role: tenants and
 * quotas, the function registry and module store, worker discovery and the workers' heartbeats. A configured
 * {@code redis-uri} wins; a malformed variable stops the start naming the variable, never its password.
 */
class RedisUriFromEnvironmentTest {
    private static final String VARIABLE = StoreConfig.REDIS_URI_ENV;

    @TempDir
    Path dir;
    RedisTestServer redis;
    private final List<AutoCloseable> started = new java.util.ArrayList<>();

    @BeforeEach
    void startRedis() {
        redis = RedisTestServer.start();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable c : started.reversed()) {
            c.close();
        }
        redis.close();
    }

    private <T extends AutoCloseable> T closeAtEnd(T closeable) {
        started.add(closeable);
        return closeable;
    }

    private static Function<SluiceConfig, Sluice.Builder> serve(Map<String, String> environment) {
        return config -> Sluice.builder().config(config).environment(environment);
    }

    private static int deadPort() throws IOException {
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return free.getLocalPort(); // free now, and nothing listens on it
        }
    }

    @Test
    void aServerWithOnlyTheVariableKeepsItsTenantsInThatRedisAndAConfiguredUriWinsOverTheVariable()
            throws Exception {
        Map<String, String> shared = Map.of("tenancy-store", "redis", "quota-store", "redis");
        TestServer fromEnv = closeAtEnd(TestServer.start(dir.resolve("env"), shared,
                serve(Map.of(VARIABLE, redis.uri()))));
        assertEquals(redis.uri(), fromEnv.sluice.config().stores().redisUri(), "the variable, for every client");
        assertEquals(200, fromEnv.call(null, "GET", "/health/ready", null, null).status(), "Redis was reached");
        String key = fromEnv.tenantWithKey("acme", "{}");
        assertEquals(200, fromEnv.call(key, "GET", "/v1/usage", null, null).status(), "quotas on Redis answer");

        // The file's redis-uri (the same Redis) wins over a variable pointing where nothing listens.
        Map<String, String> withUri = new HashMap<>(shared);
        withUri.put("redis-uri", redis.uri());
        TestServer fromFile = closeAtEnd(TestServer.start(dir.resolve("file"), withUri,
                serve(Map.of(VARIABLE, "redis://127.0.0.1:" + deadPort()))));
        assertEquals(redis.uri(), fromFile.sluice.config().stores().redisUri());
        Reply seen = fromFile.admin("GET", "/admin/v1/tenants/acme", null);
        assertEquals(200, seen.status(), "the tenant made through the other server, in the same Redis: " + seen);
        assertEquals(200, fromFile.call(null, "GET", "/health/ready", null, null).status());
    }

    @Test
    void aGatewayAndAWorkerWithOnlyTheVariableFindEachOtherAndRunACallThroughRedis() throws Exception {
        Map<String, String> environment = Map.of(VARIABLE, redis.uri());
        WorkerRole worker = closeAtEnd(WorkerRole.builder().config(SluiceConfig.defaults().with(Map.of(
                        "worker-secret", InJvmCluster.SECRET, "worker-port", "0", "worker-id", "w1",
                        "data-dir", dir.resolve("w1").toString(), "workers", "2", "tenancy-store", "redis",
                        "worker-discovery", "redis", "worker-heartbeat-ms", "200")))
                .environment(environment).start());
        // Production discovery (Redis heartbeats) and balancer: nothing tells the gateway where the worker is.
        TestServer gateway = closeAtEnd(TestServer.start(dir.resolve("gateway"), Map.of(
                "worker-secret", InJvmCluster.SECRET, "tenancy-store", "redis", "quota-store", "redis",
                "worker-discovery", "redis"), config -> GatewayRole.builder(config, environment)));
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Reply reply;
        while ((reply = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain"))
                .status() != 200) {
            assertTrue(System.nanoTime() < deadline, "the gateway never found w1 through Redis: " + reply);
            Thread.sleep(50); // discovery refreshes on real time
        }
        assertTrue(reply.body().startsWith("hello"), reply.toString());
        assertEquals(1, worker.started(), "the call ran on the worker, which fetched the module from Redis");
    }

    @Test
    void aMalformedVariableStopsEveryRoleNamingItAndNeverItsPassword() {
        Map<String, String> environment = Map.of(VARIABLE, "redis:/admin:hunter2-password@redis.internal:6379",
                "SLUICE_WORKER_SECRET", InJvmCluster.SECRET);
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "worker-port", "0",
                "data-dir", dir.resolve("bad").toString(), "tenancy-store", "redis", "worker-discovery", "redis"));
        List<Runnable> roles = List.of(
                () -> Sluice.builder().config(config).environment(environment).start().close(),
                () -> GatewayRole.builder(config, environment).start().close(),
                () -> WorkerRole.builder().config(config).environment(environment).start().close());
        for (Runnable role : roles) {
            ConfigException e = assertThrows(ConfigException.class, role::run);
            assertTrue(e.getMessage().startsWith("$SLUICE_REDIS_URI: not a Redis URI"), e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), "the password in the message: " + e.getMessage());
        }
        // Nothing was left behind: the data directory is free for the next start.
        Sluice.builder().config(config.with(Map.of("tenancy-store", "file")))
                .environment(Map.of(VARIABLE, redis.uri())).adminToken(java.util.Optional.of("t")).start().close();
    }

    @Test
    void aWorkerProcessWithAMalformedVariableExitsNamingIt() {
        GatewayProcess process = GatewayProcess.launch("worker", "bad-redis-uri", dir.resolve("process"),
                Map.of("worker-secret", InJvmCluster.SECRET, "worker-port", "0", "tenancy-store", "redis"),
                GatewayProcess.SMALL_JVM, Map.of(VARIABLE, "http://admin:hunter2-password@redis.internal:6379"));
        try {
            assertTrue(process.awaitExit(Duration.ofSeconds(120)), "the worker did not exit: " + process.output());
            assertEquals(1, process.exitValue(), process.output());
            assertTrue(process.errors().contains("sluice: cannot start: $SLUICE_REDIS_URI: not a Redis URI"),
                    process.output());
            assertFalse(process.output().contains("hunter2"), process.output());
        } finally {
            process.close();
        }
    }
}
