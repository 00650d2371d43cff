package dev.sluice.scheduler.assets;

import dev.sluice.scheduler.FunctionName;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Two costs of function assets, printed: the heap {@link FunctionAssets#archive} allocates for a tree of {@code MIB}
 * MiB (what an upload publishing to a shared store holds in memory, before the store's client copies it), and the
 * per-call cost of {@link FunctionAssets#local} (one {@code Files.isDirectory}, paid by every invocation of a function
 * with assets). Not a test; see docs/files.md ("Storage") for the command and the numbers.
 */
public final class AssetArchivePeak {
    private AssetArchivePeak() {}

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        Path dir = Files.createTempDirectory("asset-peak");
        try {
            FunctionAssets assets = FunctionAssets.open(dir);
            ByteArrayOutputStream tar = new ByteArrayOutputStream();
            byte[] chunk = new byte[1 << 20];
            new java.util.Random(1).nextBytes(chunk);
            try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
                for (int i = 0; i < mib; i++) {
                    TarArchiveEntry entry = new TarArchiveEntry("f" + i);
                    entry.setSize(chunk.length);
                    out.putArchiveEntry(entry);
                    out.write(chunk);
                    out.closeArchiveEntry();
                }
            }
            AssetTree tree = assets.store("t", FunctionName.of("f"), new java.io.ByteArrayInputStream(
                    tar.toByteArray()), new AssetLimits((long) mib << 20, mib + 1));
            tar = null;
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long thread = Thread.currentThread().threadId();
            for (int warm = 0; warm < 3; warm++) {
                assets.archive(tree.digest());
            }
            long before = threads.getThreadAllocatedBytes(thread);
            long start = System.nanoTime();
            byte[] archive = assets.archive(tree.digest());
            long nanos = System.nanoTime() - start;
            long allocated = threads.getThreadAllocatedBytes(thread) - before;
            System.out.printf("archive of %d MiB of files: %d bytes, %.2f x allocated (%d bytes), %d ms%n", mib,
                    archive.length, (double) allocated / archive.length, allocated, nanos / 1_000_000);

            int calls = 1_000_000;
            for (int round = 0; round < 5; round++) {
                long t0 = System.nanoTime();
                int found = 0;
                for (int i = 0; i < calls; i++) {
                    found += assets.local(tree.digest()).isPresent() ? 1 : 0;
                }
                System.out.printf("local(digest): %.0f ns per call (%d found)%n",
                        (double) (System.nanoTime() - t0) / calls, found);
            }
        } finally {
            FunctionAssets.deleteTree(dir);
        }
    }
}
