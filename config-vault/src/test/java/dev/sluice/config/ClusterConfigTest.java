package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {
    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    private static SluiceConfig with(Map<String, String> values) {
        return SluiceConfig.from(ConfigSource.of("test", values));
    }

    @Test
    void defaultsAreAStaticClusterOnLoopback8090WithoutASecret() {
        ClusterConfig cluster = SluiceConfig.defaults().cluster();
        assertEquals("", cluster.workerSecret());
        assertEquals("127.0.0.1", cluster.workerHost());
        assertEquals(8090, cluster.workerPort());
        assertEquals("127.0.0.1", cluster.effectiveAdvertiseHost());
        assertEquals("static", cluster.workerDiscovery());
        assertEquals(List.of(), cluster.workerAddresses());
        assertEquals(500, cluster.workerHeartbeatMs());
        assertEquals(12, cluster.effectiveMaxConcurrency(12), "0 means the workers setting");
        assertTrue(cluster.effectiveWorkerId().startsWith("worker-"));
        assertNotEquals(cluster.effectiveWorkerId(), cluster.effectiveWorkerId(), "generated per process start");
    }

    @Test
    void everyKeyIsReadFromTheFile() {
        ClusterConfig cluster = with(Map.ofEntries(Map.entry("worker-secret", SECRET),
                Map.entry("worker-host", "0.0.0.0"), Map.entry("worker-port", "9191"),
                Map.entry("worker-advertise-host", "worker-1.internal"), Map.entry("worker-id", "w-1"),
                Map.entry("worker-max-concurrency", "6"), Map.entry("worker-discovery", "dns"),
                Map.entry("worker-addresses", "10.0.0.1:8090, [::1]:8091"),
                Map.entry("worker-dns-name", "sluice-workers.default.svc"),
                Map.entry("worker-heartbeat-ms", "250"), Map.entry("worker-module-dir", "/srv/modules"))).cluster();
        assertEquals(SECRET, cluster.workerSecret());
        assertEquals(9191, cluster.workerPort());
        assertEquals("worker-1.internal", cluster.effectiveAdvertiseHost());
        assertEquals("w-1", cluster.effectiveWorkerId());
        assertEquals(6, cluster.effectiveMaxConcurrency(64));
        assertEquals(List.of("10.0.0.1:8090", "[::1]:8091"), cluster.workerAddresses());
        assertEquals(new ClusterConfig.HostPort("::1", 8091), ClusterConfig.hostPort("[::1]:8091"));
        assertEquals(250, cluster.workerHeartbeatMs());
        assertEquals("/srv/modules", cluster.workerModuleDir());
    }

    @Test
    void badValuesFailNamingTheKey() {
        assertEquals("worker-secret: 5 characters (expected: at least 32)",
                assertThrows(ConfigException.class, () -> with(Map.of("worker-secret", "short"))).getMessage());
        assertEquals("worker-port: 70000 (expected: 0..65535)",
                assertThrows(ConfigException.class, () -> with(Map.of("worker-port", "70000"))).getMessage());
        assertEquals("worker-discovery: 'consul' (expected: static or redis or dns)",
                assertThrows(ConfigException.class, () -> with(Map.of("worker-discovery", "consul"))).getMessage());
        assertEquals("worker-addresses: 'nohost' (expected: host:port, port 1..65535)",
                assertThrows(ConfigException.class, () -> with(Map.of("worker-addresses", "nohost"))).getMessage());
        assertEquals("worker-max-concurrency: -1 (expected: 0..4096)",
                assertThrows(ConfigException.class, () -> with(Map.of("worker-max-concurrency", "-1"))).getMessage());
        assertEquals("worker-heartbeat-ms: 10 (expected: 50..60000)",
                assertThrows(ConfigException.class, () -> with(Map.of("worker-heartbeat-ms", "10"))).getMessage());
        assertTrue(assertThrows(ConfigException.class, () -> with(Map.of("worker-discovery", "dns")))
                .getMessage().startsWith("worker-dns-name: empty"));
        assertTrue(assertThrows(ConfigException.class, () -> with(Map.of("worker-id", "a b")))
                .getMessage().startsWith("worker-id: 'a b'"));
    }

    @Test
    void theSecretComesFromTheEnvironmentWhenTheFileHasNoneAndIsNeverPrinted() {
        ClusterConfig none = SluiceConfig.defaults().cluster();
        assertEquals(SECRET, none.requireSecret(Map.of(ClusterConfig.SECRET_ENV, SECRET)));
        ConfigException missing = assertThrows(ConfigException.class, () -> none.requireSecret(Map.of()));
        assertTrue(missing.getMessage().startsWith("worker-secret: missing"), missing.getMessage());
        ConfigException tooShort = assertThrows(ConfigException.class,
                () -> none.requireSecret(Map.of(ClusterConfig.SECRET_ENV, "abc")));
        assertFalse(tooShort.getMessage().contains("abc"), tooShort.getMessage());
        ClusterConfig fromFile = with(Map.of("worker-secret", SECRET)).cluster();
        assertEquals(SECRET, fromFile.requireSecret(Map.of(ClusterConfig.SECRET_ENV, "x".repeat(40))),
                "the file wins over the environment");
        assertFalse(with(Map.of("worker-secret", SECRET)).toString().contains(SECRET));
    }

    @Test
    void overridesKeepTheClusterSettings() {
        SluiceConfig config = with(Map.of("worker-secret", SECRET, "worker-addresses", "127.0.0.1:1,127.0.0.1:2"))
                .with(Map.of("port", "0"));
        assertEquals(SECRET, config.cluster().workerSecret());
        assertEquals(List.of("127.0.0.1:1", "127.0.0.1:2"), config.cluster().workerAddresses());
    }
}
