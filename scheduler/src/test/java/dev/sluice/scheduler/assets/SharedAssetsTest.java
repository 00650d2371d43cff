package dev.sluice.scheduler.assets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.shared.ModuleStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tree published by one data directory (a gateway's) and resolved by another (a worker's) through a shared store. */
class SharedAssetsTest {
    private static final AssetLimits LIMITS = new AssetLimits(1 << 20, 100);
    private static final FunctionName SITE = FunctionName.of("site");

    /** The shared store's contract in memory: put-if-absent, get, delete by digest. */
    private static final class MemoryStore implements ModuleStore {
        final Map<String, byte[]> blobs = new ConcurrentHashMap<>();

        @Override
        public void put(String digest, byte[] bytes) {
            blobs.putIfAbsent(digest, bytes);
        }

        @Override
        public Optional<byte[]> get(String digest) {
            return Optional.ofNullable(blobs.get(digest));
        }

        @Override
        public void delete(String digest) {
            blobs.remove(digest);
        }
    }

    private static byte[] tar() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            byte[] content = "<h1>hi</h1>".getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry entry = new TarArchiveEntry("templates/index.html");
            entry.setSize(content.length);
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }

    @Test
    void aWorkerResolvesAPublishedTreeByItsDigestAndGetsTheSameFiles(@TempDir Path gatewayDir,
                                                                      @TempDir Path workerDir) throws Exception {
        FunctionAssets gateway = FunctionAssets.open(gatewayDir);
        AssetTree tree = gateway.replace("t", SITE, new ByteArrayInputStream(tar()), LIMITS);
        MemoryStore shared = new MemoryStore();
        assertTrue(gateway.publish("t", SITE, shared));
        assertEquals(tree.digest(), FunctionAssets.digestOf(gateway.directory("t", SITE).orElseThrow()));

        FunctionAssets worker = FunctionAssets.open(workerDir);
        Path dir = worker.resolve(tree.digest(), shared, LIMITS).orElseThrow();
        assertEquals("<h1>hi</h1>", Files.readString(dir.resolve("templates/index.html")));
        assertEquals(tree.digest(), FunctionAssets.digestOf(dir), "the worker's tree has the gateway's digest");
        assertEquals(dir, worker.resolve(tree.digest(), new MemoryStore(), LIMITS).orElseThrow(),
                "once here it is not fetched again");
        assertEquals(Optional.empty(), FunctionAssets.open(workerDir.resolve("other"))
                .resolve("sha256:" + "0".repeat(64), shared, LIMITS), "not in the store: empty");
    }

    @Test
    void bytesThatDoNotMatchTheirDigestAreNeverUnpacked(@TempDir Path gatewayDir, @TempDir Path workerDir)
            throws Exception {
        FunctionAssets gateway = FunctionAssets.open(gatewayDir);
        AssetTree tree = gateway.replace("t", SITE, new ByteArrayInputStream(tar()), LIMITS);
        MemoryStore shared = new MemoryStore();
        gateway.publish("t", SITE, shared);
        byte[] tampered = shared.blobs.get(tree.digest()).clone();
        tampered[600] ^= 1;
        shared.blobs.put(tree.digest(), tampered);
        FunctionAssets worker = FunctionAssets.open(workerDir);
        assertThrows(SchedulerException.StorageFailure.class, () -> worker.resolve(tree.digest(), shared, LIMITS));
        assertEquals(java.util.Set.of(), worker.directories(), "nothing unpacked, no temporary directory left");
    }
}
