package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SluiceConfigTest {

    @Test
    void defaultsListenOnLoopback8080() {
        SluiceConfig config = SluiceConfig.defaults();
        assertEquals("127.0.0.1", config.host());
        assertEquals(8080, config.port());
        assertEquals(Path.of("sluice-data"), config.dataDir());
    }

    @Test
    void fileValuesOverrideDefaults(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sluice.conf");
        Files.writeString(file, """
                # a comment
                port = 9090

                data-dir = /var/lib/sluice
                default-burst = 1_000
                """);
        SluiceConfig config = SluiceConfig.from(FileConfigSource.load(file));
        assertEquals(9090, config.port());
        assertEquals(Path.of("/var/lib/sluice"), config.dataDir());
        assertEquals(1000, config.defaultBurst());
        assertEquals(10, config.defaultRequestsPerSecond());
    }

    @Test
    void unknownKeyIsNamed() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> SluiceConfig.from(ConfigSource.of("test", Map.of("prot", "1"))));
        assertTrue(e.getMessage().contains("unknown key prot"), e.getMessage());
    }

    @Test
    void nonNumericValueNamesTheKey() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> SluiceConfig.from(ConfigSource.of("test", Map.of("port", "eighty"))));
        assertEquals("test: port: 'eighty' (expected: an integer)", e.getMessage());
    }

    @Test
    void outOfRangeValueNamesTheKeyAndTheRange() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> SluiceConfig.from(ConfigSource.of("test", Map.of("workers", "0"))));
        assertEquals("workers: 0 (expected: 1..4096)", e.getMessage());
    }

    @Test
    void lineWithoutEqualsSignIsReportedWithItsLineNumber() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> FileConfigSource.parse("sluice.conf", List.of("port = 1", "oops")));
        assertTrue(e.getMessage().startsWith("sluice.conf:2:"), e.getMessage());
    }

    @Test
    void camelCaseKeyIsRejected() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> FileConfigSource.parse("sluice.conf", List.of("maxTimeout = 1")));
        assertTrue(e.getMessage().contains("kebab-case"), e.getMessage());
    }

    @Test
    void keyGivenTwiceIsAnError() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> FileConfigSource.parse("sluice.conf", List.of("port = 1", "port = 2")));
        assertTrue(e.getMessage().contains("set twice"), e.getMessage());
    }

    @Test
    void withOverridesRevalidates() {
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "workers", "12"));
        assertEquals(0, config.port());
        assertEquals(3, config.effectiveTenantMaxConcurrency());
        assertThrows(ConfigException.class, () -> config.with(Map.of("port", "-1")));
    }

    @Test
    void workersDefaultToFourPerCoreAndATenantToAQuarterOfThem() {
        SluiceConfig defaults = SluiceConfig.defaults();
        assertEquals(Math.max(8, 4 * Runtime.getRuntime().availableProcessors()), defaults.workers());
        assertEquals(defaults.workers() / 4, defaults.effectiveTenantMaxConcurrency());
        assertEquals(1, defaults.with(Map.of("workers", "3")).effectiveTenantMaxConcurrency());
        assertEquals(5, defaults.with(Map.of("workers", "8", "tenant-max-concurrency", "5"))
                .effectiveTenantMaxConcurrency());
    }

    @Test
    void atomicWriteReplacesContentAndLeavesNoTemporaryFiles(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("state.json");
        AtomicFiles.write(target, "one".getBytes());
        AtomicFiles.write(target, "two".getBytes());
        assertEquals("two", Files.readString(target));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
    }

    @Test
    void ownerOnlyWriteIsNotReadableByOthers(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("secret");
        AtomicFiles.writeOwnerOnly(target, "s".getBytes());
        assertEquals("rw-------",
                java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    }

    @Test
    void sharedStoresDefaultToLocalAndCanPointAtRedis() {
        assertEquals(false, SluiceConfig.defaults().stores().sharedQuotas());
        StoreConfig stores = SluiceConfig.defaults().with(Map.of("quota-store", "redis", "tenancy-store", "redis",
                "redis-uri", "rediss://user:secret@redis.internal:6380/0", "quota-fail-policy", "fail-closed",
                "quota-replicas", "3")).stores();
        assertTrue(stores.sharedQuotas() && stores.sharedTenancy());
        assertEquals(3, stores.quotaReplicas());
        assertTrue(!stores.toString().contains("secret"), "credentials never appear in messages");
    }

    @Test
    void badStoreValuesNameTheirKey() {
        assertEquals("quota-store: 'memcached' (expected: local or redis)", assertThrows(ConfigException.class,
                () -> SluiceConfig.defaults().with(Map.of("quota-store", "memcached"))).getMessage());
        ConfigException uri = assertThrows(ConfigException.class,
                () -> SluiceConfig.defaults().with(Map.of("redis-uri", "http://u:pw@x")));
        assertTrue(uri.getMessage().startsWith("redis-uri:") && !uri.getMessage().contains("pw"), uri.getMessage());
        assertThrows(ConfigException.class, () -> SluiceConfig.defaults().with(Map.of("redis-cluster", "yes")));
    }
}
