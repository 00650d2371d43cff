package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An invocation over real HTTP on {@code serve} sees its function's uploaded assets under {@code /assets} and a fresh
 * {@code /tmp} bounded by its plan's {@code scratch-bytes}; a function without assets on a plan without scratch space
 * sees no directory at all. The guest is files-wagi.c.
 */
class FunctionFilesInvocationTest {
    private static final long SCRATCH_BYTES = 64 * 1024;

    @TempDir
    Path dataDir;
    TestServer server;

    @BeforeEach
    void start() {
        server = TestServer.start(dataDir);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Reply invoke(String key, String function, String query) {
        return server.call(key, "GET", "/v1/functions/" + function + "/invoke?" + query, null, null);
    }

    @Test
    void anInvocationReadsItsAssetsAndWritesAFreshTmpUpToThePlansScratchBytes() {
        String key = server.tenantWithKey("acme", "{\"max-asset-bytes\": 1048576, \"scratch-bytes\": "
                + SCRATCH_BYTES + ", \"scratch-inodes\": 64}");
        assertEquals(201, server.deploy(key, "site", TestModules.load("files-wagi")).status());
        byte[] tar = TestTars.create().file("greeting.txt", "hello from assets").dir("sub/")
                .file("sub/deep.txt", "deep").bytes();
        Reply uploaded = server.call(key, "PUT", "/v1/functions/site/assets", tar, "application/x-tar");
        assertEquals(200, uploaded.status(), uploaded.toString());

        Reply first = invoke(key, "site", "tour");
        assertEquals(200, first.status(), first.toString());
        String body = first.body();
        assertTrue(body.contains("list /assets: greeting.txt sub\n"), body);
        assertTrue(body.contains("read /assets/greeting.txt: hello from assets\n"), body);
        assertTrue(body.contains("left.txt before: absent\nleft.txt after: present\n"), body);
        // 64 KiB: left.txt's byte plus 15 whole 4 KiB files fit, the 16th write is NOSPC (51).
        assertTrue(body.contains("fill /tmp: 15 files of 4096 bytes, then errno 51\n"), body);

        Reply second = invoke(key, "site", "tour");
        assertEquals(200, second.status(), second.toString());
        assertTrue(second.body().contains("left.txt before: absent\n"),
                "a second invocation gets a fresh /tmp: " + second.body());
        assertTrue(second.body().contains("fill /tmp: 15 files of 4096 bytes, then errno 51\n"), second.body());
    }

    @Test
    void aFunctionWithoutAssetsOnAPlanWithoutScratchSeesNoDirectory() {
        String key = server.tenantWithKey("plain", "{\"scratch-bytes\": 0}");
        assertEquals(201, server.deploy(key, "bare", TestModules.load("files-wagi")).status());
        Reply reply = invoke(key, "bare", "none");
        assertEquals(200, reply.status(), reply.toString());
        // wasi-libc finds no preopen for either path: ENOTCAPABLE (76).
        assertEquals("open /assets: errno 76\nopen /tmp: errno 76\n", reply.body());
    }

    @Test
    void withoutAssetsAPlanWithScratchBytesStillGivesATmp() {
        String key = server.tenantWithKey("scratchy", "{\"scratch-bytes\": " + SCRATCH_BYTES + "}");
        assertEquals(201, server.deploy(key, "noassets", TestModules.load("files-wagi")).status());
        Reply reply = invoke(key, "noassets", "tour");
        assertEquals(200, reply.status(), reply.toString());
        assertTrue(reply.body().contains("list /assets: errno 76\n"), reply.body());
        assertTrue(reply.body().contains("left.txt after: present\n"), reply.body());
    }

    /**
     * The gateway role with its workers reading its module files ({@code worker-module-dir}): the call carries the
     * record's assets (digest, mount) and the plan's scratch limits, and the worker reads the gateway's tree beside
     * the modules. (With Redis the worker fetches the tree from the shared store: RemoteAssetsProcessTest.)
     */
    @Test
    void aGatewayWithRemoteWorkersCarriesTheAssetsAndScratchToTheWorker(@TempDir Path clusterDir) throws Exception {
        InJvmCluster cluster = new InJvmCluster(() -> clusterDir);
        try {
            WorkerRole worker = cluster.worker("a", Map.of());
            TestServer gateway = cluster.closeAtEnd(TestServer.start(clusterDir.resolve("gateway"),
                    Map.of("worker-secret", InJvmCluster.SECRET, "worker-addresses", "127.0.0.1:" + worker.port()),
                    config -> GatewayRole.builder(config, Map.of())));
            String key = gateway.tenantWithKey("acme", "{\"max-asset-bytes\": 1048576, \"scratch-bytes\": "
                    + SCRATCH_BYTES + ", \"scratch-inodes\": 64}");
            assertEquals(201, gateway.deploy(key, "site", TestModules.load("files-wagi")).status());
            byte[] tar = TestTars.create().file("greeting.txt", "hello").bytes();
            Reply uploaded = gateway.call(key, "PUT", "/v1/functions/site/assets", tar, "application/x-tar");
            assertEquals(200, uploaded.status(), uploaded.toString());

            Reply reply = gateway.call(key, "GET", "/v1/functions/site/invoke?tour", null, null);
            assertEquals(200, reply.status(), reply.toString());
            assertTrue(reply.body().contains("read /assets/greeting.txt: hello\n"), reply.body());
            assertTrue(reply.body().contains("fill /tmp: 15 files of 4096 bytes, then errno 51\n"), reply.body());
            assertEquals(1, worker.started(), "it ran on the worker");

            // The tree gone behind the gateway's back: the worker refuses the call before the guest starts.
            String digest = uploaded.json().path("digest").asText();
            deleteReadOnlyTree(clusterDir.resolve("gateway/assets").resolve(digest.substring("sha256:".length())));
            Reply missing = gateway.call(key, "GET", "/v1/functions/site/invoke?tour", null, null);
            assertEquals(503, missing.status(), missing.toString());
            assertEquals("store-unavailable", missing.problemType());
        } finally {
            cluster.afterEach(null);
        }
    }

    private static void deleteReadOnlyTree(Path tree) throws java.io.IOException {
        try (var all = java.nio.file.Files.walk(tree)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                p.getParent().toFile().setWritable(true);
                p.toFile().setWritable(true);
                java.nio.file.Files.delete(p);
            }
        }
    }
}
