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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
        AssetTree tree = gateway.store("t", SITE, new ByteArrayInputStream(tar()), LIMITS);
        MemoryStore shared = new MemoryStore();
        shared.put(tree.digest(), gateway.archive(tree.digest()));
        assertEquals(tree.digest(), FunctionAssets.digestOf(gateway.local(tree.digest()).orElseThrow()));

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
    void referencesDecideWhatIsDeletedAndTheSweepKeepsEveryReferencedTree(@TempDir Path dir) throws Exception {
        FunctionAssets assets = FunctionAssets.open(dir);
        FunctionName other = FunctionName.of("other");
        AssetTree tree = assets.store("t", SITE, new ByteArrayInputStream(tar()), LIMITS);
        // The same files for a second function, and a second upload for the first (a race, or the same tree again).
        assets.store("u", other, new ByteArrayInputStream(tar()), LIMITS);
        assets.store("t", SITE, new ByteArrayInputStream(tar()), LIMITS);
        assertEquals(List.of(tree.digest(), tree.digest()), assets.references("t", SITE));
        assets.release("t", SITE, tree.digest());
        assets.remove("u", other);
        assertTrue(assets.local(tree.digest()).isPresent(), "one reference left: the tree stays");
        // A crash now (the record may point at the tree): the next start sweeps nothing that is referenced.
        FunctionAssets reopened = FunctionAssets.open(dir);
        assertTrue(reopened.local(tree.digest()).isPresent());
        assertEquals(List.of(tree.digest()), reopened.references("t", SITE));
        reopened.release("t", SITE, "sha256:" + "1".repeat(64)); // not held: nothing happens
        assertTrue(reopened.local(tree.digest()).isPresent());
        reopened.release("t", SITE, tree.digest());
        assertEquals(Optional.empty(), reopened.local(tree.digest()), "the last reference deletes the tree");
        assertEquals(Set.of(), reopened.directories());
    }

    @Test
    void anIndexOfTheFirstFormatIsReadAsOneReferencePerFunction(@TempDir Path dir) throws Exception {
        FunctionAssets assets = FunctionAssets.open(dir);
        AssetTree tree = assets.store("t", SITE, new ByteArrayInputStream(tar()), LIMITS);
        Files.writeString(dir.resolve("assets/index.json"), "{\"version\":1,\"functions\":{\"t\":{\"site\":"
                + "{\"digest\":\"" + tree.digest() + "\",\"files\":3,\"bytes\":11}}}}");
        FunctionAssets reopened = FunctionAssets.open(dir);
        assertEquals(List.of(tree.digest()), reopened.references("t", SITE));
        assertTrue(reopened.local(tree.digest()).isPresent(), "not swept");
    }

    @Test
    void aLeftoverOfAFailedDeletionIsNeverServedAndIsReplacedByTheTreeStoredAgain(@TempDir Path dir)
            throws Exception {
        FunctionAssets assets = FunctionAssets.open(dir);
        AssetTree tree = assets.store("t", SITE, new ByteArrayInputStream(tar()), LIMITS);
        assets.release("t", SITE, tree.digest());
        // What a deletion that failed half way leaves under the digest's name.
        Path leftover = dir.resolve("assets").resolve(tree.digest().substring("sha256:".length()));
        Files.createDirectories(leftover.resolve("templates"));
        Files.writeString(leftover.resolve("stale.txt"), "half deleted");
        assertEquals(Optional.empty(), assets.local(tree.digest()), "not served");
        MemoryStore empty = new MemoryStore();
        assertEquals(Optional.empty(), assets.resolve(tree.digest(), empty, LIMITS), "nor resolved from it");

        assertEquals(tree, assets.store("u", SITE, new ByteArrayInputStream(tar()), LIMITS));
        Path stored = assets.local(tree.digest()).orElseThrow();
        assertEquals("<h1>hi</h1>", Files.readString(stored.resolve("templates/index.html")));
        assertTrue(Files.notExists(stored.resolve("stale.txt")), "the leftover was replaced");
        assertEquals(tree.digest(), FunctionAssets.digestOf(stored));
    }

    @Test
    void bytesThatDoNotMatchTheirDigestAreNeverUnpacked(@TempDir Path gatewayDir, @TempDir Path workerDir)
            throws Exception {
        FunctionAssets gateway = FunctionAssets.open(gatewayDir);
        AssetTree tree = gateway.store("t", SITE, new ByteArrayInputStream(tar()), LIMITS);
        MemoryStore shared = new MemoryStore();
        shared.put(tree.digest(), gateway.archive(tree.digest()));
        byte[] tampered = shared.blobs.get(tree.digest()).clone();
        tampered[600] ^= 1;
        shared.blobs.put(tree.digest(), tampered);
        FunctionAssets worker = FunctionAssets.open(workerDir);
        assertThrows(SchedulerException.StorageFailure.class, () -> worker.resolve(tree.digest(), shared, LIMITS));
        assertEquals(Set.of(), worker.directories(), "nothing unpacked, no temporary directory left");
    }

    /**
     * A shared store whose gets are counted and held until the test lets them go, so every caller can be seen
     * waiting (for the store, or for another's fetch) before any fetch finishes; the first {@code failing} gets
     * fail.
     */
    private static final class HeldStore implements ModuleStore {
        final MemoryStore blobs = new MemoryStore();
        final AtomicInteger gets = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        final int failing;

        HeldStore(int failing) {
            this.failing = failing;
        }

        @Override
        public void put(String digest, byte[] bytes) {
            blobs.put(digest, bytes);
        }

        @Override
        public Optional<byte[]> get(String digest) {
            int n = gets.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (n <= failing) {
                throw new SchedulerException.StorageFailure("shared store: away", null);
            }
            return blobs.get(digest);
        }

        @Override
        public void delete(String digest) {
            blobs.delete(digest);
        }
    }

    /** Runs {@code calls} resolves of the digest at once; the store answers once all wait. Their outcomes, in order. */
    private static List<Object> resolveAtOnce(FunctionAssets worker, String digest, HeldStore store,
                                                        int calls) throws Exception {
        Object[] outcomes = new Object[calls];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            int at = i;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    outcomes[at] = worker.resolve(digest, store, LIMITS).orElseThrow();
                } catch (RuntimeException e) {
                    outcomes[at] = e;
                }
            }));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (store.gets.get() == 0
                || !threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING)) {
            assertTrue(System.nanoTime() < deadline, "every call waits within 30 s");
            Thread.onSpinWait();
        }
        store.release.countDown();
        for (Thread t : threads) {
            t.join();
        }
        return Arrays.asList(outcomes);
    }

    @Test
    void concurrentFirstFindsOfOneTreeFetchItFromTheSharedStoreOnce(@TempDir Path gatewayDir,
                                                                     @TempDir Path workerDir) throws Exception {
        FunctionAssets gateway = FunctionAssets.open(gatewayDir);
        AssetTree tree = gateway.store("t", SITE, new ByteArrayInputStream(tar()), LIMITS);
        HeldStore shared = new HeldStore(0);
        shared.put(tree.digest(), gateway.archive(tree.digest()));
        FunctionAssets worker = FunctionAssets.open(workerDir);

        List<Object> outcomes = resolveAtOnce(worker, tree.digest(), shared, 8);
        assertEquals(1, shared.gets.get(), "one download for eight first calls");
        Path dir = worker.local(tree.digest()).orElseThrow();
        assertEquals(Collections.nCopies(8, dir), outcomes, "all get the same directory");
        assertEquals(Set.of(dir.getFileName().toString()), worker.directories(), "no temporary one left");
    }

    @Test
    void aCallWaitingForAFetchThatFailedTriesOnceItselfInsteadOfTakingTheFailure(@TempDir Path gatewayDir,
                                                                                  @TempDir Path workerDir)
            throws Exception {
        FunctionAssets gateway = FunctionAssets.open(gatewayDir);
        AssetTree tree = gateway.store("t", SITE, new ByteArrayInputStream(tar()), LIMITS);
        HeldStore shared = new HeldStore(1);
        shared.put(tree.digest(), gateway.archive(tree.digest()));
        FunctionAssets worker = FunctionAssets.open(workerDir);

        List<Object> outcomes = resolveAtOnce(worker, tree.digest(), shared, 4);
        Path dir = worker.local(tree.digest()).orElseThrow();
        assertEquals(1, outcomes.stream().filter(SchedulerException.StorageFailure.class::isInstance).count(),
                "only the call whose fetch failed fails: " + outcomes);
        assertEquals(3, outcomes.stream().filter(dir::equals).count(), outcomes.toString());
        assertEquals(2, shared.gets.get(), "the failed fetch, then one more for the three that waited");
    }
}
