package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.TenancyException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start, restart and stop: the admin token's first start, corrupt state, and the graceful drain. */
class LifecycleTest {
    @TempDir
    Path dataDir;

    @Test
    void gracefulStopFinishesInFlightInvocationsAndRefusesNewOnes() throws Exception {
        TestServer server = TestServer.start(dataDir);
        String key = server.tenantWithKey("acme", "{}");
        assertEquals(201, server.deploy(key, "sleep", TestModules.load("sleep")).status());

        CompletableFuture<Reply> inFlight = CompletableFuture.supplyAsync(
                () -> server.call(key, "POST", "/v1/functions/sleep/invoke", new byte[0], "text/plain"));
        awaitInFlight(server.sluice);
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(server.sluice::stop);
        awaitDraining(server);

        Reply refused = server.call(key, "POST", "/v1/functions/sleep/invoke", new byte[0], "text/plain");
        assertEquals(503, refused.status());
        assertEquals("unavailable", refused.problemType());

        Reply finished = inFlight.get();
        assertEquals(200, finished.status(), finished.toString());
        assertEquals("slept\n", finished.body());
        stopping.get();
    }

    private static void awaitInFlight(Sluice sluice) throws InterruptedException {
        for (int i = 0; i < 2_000 && sluice.inFlight() == 0; i++) {
            Thread.onSpinWait();
            Thread.sleep(1);
        }
        assertEquals(1, sluice.inFlight(), "the invocation never started");
    }

    private static void awaitDraining(TestServer server) throws InterruptedException {
        for (int i = 0; i < 2_000; i++) {
            if (server.call(null, "GET", "/health/ready", null, null).status() == 503) {
                return;
            }
            Thread.sleep(1);
        }
        throw new AssertionError("readiness never turned false");
    }

    @Test
    void firstStartGeneratesTheAdminTokenOnceAndKeepsOnlyItsHash() throws Exception {
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dataDir.toString()));
        List<String> announced = new ArrayList<>();
        try (Sluice first = Sluice.builder().config(config).announce(announced::add).start()) {
            assertEquals(1, announced.size());
            assertEquals(200, adminGet(first, announced.getFirst()));
            assertEquals(401, adminGet(first, announced.getFirst() + "x"));
        }
        Path tokenFile = dataDir.resolve("admin-token");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
        assertEquals(announced.getFirst(), Files.readString(tokenFile).strip());
        String hashFile = Files.readString(dataDir.resolve("admin-token.sha256"));
        assertTrue(!hashFile.contains(announced.getFirst()), "only the hash is stored");

        try (Sluice second = Sluice.builder().config(config).announce(announced::add).start()) {
            assertEquals(1, announced.size(), "a later start generates nothing");
            assertEquals(200, adminGet(second, announced.getFirst()));
        }
    }

    @Test
    void adminTokenFromTheEnvironmentReplacesTheGeneratedOne() throws Exception {
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dataDir.toString()));
        try (Sluice sluice = Sluice.builder().config(config).adminToken(Optional.of("from-env-123")).start()) {
            assertEquals(200, adminGet(sluice, "from-env-123"));
        }
    }

    private static int adminGet(Sluice sluice, String token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sluice.port() + "/admin/v1/tenants"))
                .header("Authorization", "Bearer " + token).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void aTakenPortFailsTheStartClearlyAndReleasesTheWorkersItStarted() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", Integer.toString(taken.getLocalPort()),
                    "data-dir", dataDir.toString()));
            long workersBefore = workerThreads();
            var e = assertThrows(dev.sluice.config.ConfigException.class,
                    () -> Sluice.builder().config(config).adminToken(Optional.of("t")).start());
            assertTrue(e.getMessage().startsWith("port: cannot listen on"), e.getMessage());
            for (int i = 0; i < 200 && workerThreads() > workersBefore; i++) {
                Thread.sleep(10);
            }
            assertEquals(workersBefore, workerThreads(), "no worker thread outlives the failed start");
        }
        assertStartsAgainOn(dataDir);
    }

    @Test
    void aStartThatFailsAfterLockingTheDataDirectoryReleasesItAndEverythingElse() throws Exception {
        // Valid as a setting, refused only when the HTTP server is built: after the lock, stores and workers.
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("host", "[::1", "port", "0",
                "data-dir", dataDir.toString()));
        long workersBefore = workerThreads();
        long housekeepingBefore = threads("sluice-housekeeping");
        assertThrows(IllegalArgumentException.class,
                () -> Sluice.builder().config(config).adminToken(Optional.of("t")).start());
        for (int i = 0; i < 200 && (workerThreads() > workersBefore
                || threads("sluice-housekeeping") > housekeepingBefore); i++) {
            Thread.sleep(10);
        }
        assertEquals(workersBefore, workerThreads(), "no worker thread outlives the failed start");
        assertEquals(housekeepingBefore, threads("sluice-housekeeping"), "nor the housekeeping thread");
        assertStartsAgainOn(dataDir);
    }

    /** The same JVM can open the data directory again: its lock was released. */
    private static void assertStartsAgainOn(Path dataDir) {
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dataDir.toString()));
        try (Sluice again = Sluice.builder().config(config).adminToken(Optional.of("t")).start()) {
            assertTrue(again.port() > 0, "listening on " + again.port());
        }
    }

    private static long workerThreads() {
        return threads("sluice-worker");
    }

    private static long threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
    }

    @Test
    void corruptStateIsReportedAtStartNamingTheFile() throws Exception {
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("tenants.json"), "{\"version\": 1, \"tenants\": [");
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("port", "0", "data-dir", dataDir.toString()));
        TenancyException.StorageFailure failure = assertThrows(TenancyException.StorageFailure.class,
                () -> Sluice.builder().config(config).adminToken(Optional.of("t")).start());
        assertTrue(failure.getMessage().contains("tenants.json"), failure.getMessage());
        assertEquals("{\"version\": 1, \"tenants\": [", Files.readString(dataDir.resolve("tenants.json")),
                "the corrupt file is left for repair, not overwritten");
    }
}
