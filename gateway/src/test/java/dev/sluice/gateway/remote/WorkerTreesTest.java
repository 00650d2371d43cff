package dev.sluice.gateway.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.DiskModuleStore;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.assets.AssetLimits;
import dev.sluice.scheduler.assets.AssetTree;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.assets.FunctionAssets;
import dev.sluice.scheduler.files.AssetMount;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a worker finds a call's tree: its own copy first, else the gateways' store (the shared module store, or the
 * gateway's trees beside the module files it reads); found nowhere, a storage failure naming where it looked.
 */
class WorkerTreesTest {
    private static final FunctionName SITE = FunctionName.of("site");

    private static byte[] tar(String content) throws Exception {
        var bytes = new java.io.ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            byte[] data = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry entry = new TarArchiveEntry("a.txt");
            entry.setSize(data.length);
            tar.putArchiveEntry(entry);
            tar.write(data);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }

    @Test
    void aWorkerFetchesFromTheSharedStoreOnceAndReadsTheGatewaysTreesBesideItsModules(@TempDir Path dir)
            throws Exception {
        FunctionAssets gateway = FunctionAssets.open(dir.resolve("gateway"));
        AssetTree tree = gateway.store("t", SITE, new ByteArrayInputStream(tar("hi")), new AssetLimits(1024, 10));
        AttachedAssets attached = new AttachedAssets(tree, AssetMount.DEFAULT);

        DiskModuleStore shared = DiskModuleStore.directory(dir.resolve("shared"));
        shared.put(tree.digest(), gateway.archive(tree.digest()));
        FunctionAssets workerData = FunctionAssets.open(dir.resolve("worker"));
        Path fetched = WorkerTrees.shared(workerData, shared).apply(attached);
        assertTrue(fetched.startsWith(dir.resolve("worker")), fetched.toString());
        assertEquals("hi", Files.readString(fetched.resolve("a.txt")));
        shared.delete(tree.digest());
        assertEquals(fetched, WorkerTrees.shared(workerData, shared).apply(attached), "its own copy first");

        Path beside = WorkerTrees.besideModules(FunctionAssets.open(dir.resolve("other-worker")),
                dir.resolve("gateway/modules")).apply(attached);
        assertEquals(dir.resolve("gateway/assets").resolve(tree.digest().substring(7)).toAbsolutePath(), beside,
                "the gateway's own tree, not a copy");

        AttachedAssets unknown = new AttachedAssets(new AssetTree("sha256:" + "0".repeat(64), 1, 1),
                AssetMount.DEFAULT);
        var e = assertThrows(StorageFailure.class, () -> WorkerTrees.shared(FunctionAssets.open(dir.resolve("w3")),
                shared).apply(unknown));
        assertTrue(e.getMessage().contains("shared store"), e.getMessage());
        assertThrows(StorageFailure.class, () -> WorkerTrees.besideModules(FunctionAssets.open(dir.resolve("w4")),
                dir.resolve("gateway/modules")).apply(unknown));
    }
}
