package dev.sluice.scheduler;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.shared.ModuleStore;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker's scheduler ({@link LocalScheduler#openWorker}) on a plain in-memory store, without Redis: modules by
 * digest, verified, fetched once, then kept warm; and the disk store a worker reads a gateway's module files with.
 */
class WorkerModulesTest {
    @TempDir
    Path dir;

    /** A store that counts reads and can be told to answer with other bytes. */
    private static final class CountingStore implements ModuleStore {
        final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
        final AtomicInteger reads = new AtomicInteger();

        @Override
        public void put(String digest, byte[] bytes) {
            blobs.putIfAbsent(digest, bytes);
        }

        @Override
        public Optional<byte[]> get(String digest) {
            reads.incrementAndGet();
            return Optional.ofNullable(blobs.get(digest)).map(byte[]::clone);
        }

        @Override
        public void delete(String digest) {
            blobs.remove(digest);
        }
    }

    private static FunctionSpec spec(String digest) {
        return new FunctionSpec("acme", FunctionName.of("hello"), digest, 1, 16, 5_000, Instant.EPOCH, 1L << 40);
    }

    private static InvocationRequest request(String stdin) {
        return new InvocationRequest(stdin.getBytes(UTF_8), List.of("hello"), Map.of("QUERY_STRING", "q"));
    }

    private LocalScheduler open(ModuleStore store) {
        return LocalScheduler.openWorker(new SchedulerSettings(2, 2, 8, 1 << 16, 1 << 12, 2L << 20), dir,
                InstantSource.system(), store, () -> { });
    }

    @Test
    void aModuleIsFetchedByDigestOnceEvenByConcurrentFirstCallsAndThenRunsFromTheCache() {
        CountingStore store = new CountingStore();
        byte[] hello = TestModules.load("hello");
        String digest = Digests.sha256(hello);
        store.put(digest, hello);
        try (LocalScheduler worker = open(store)) {
            List<CompletableFuture<InvocationResult>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int n = i;
                calls.add(CompletableFuture.supplyAsync(() -> worker.dispatcher().invoke(spec(digest), request("in" + n))));
            }
            for (int i = 0; i < calls.size(); i++) {
                InvocationResult result = calls.get(i).join();
                assertEquals(0, result.exitCode());
                assertEquals("Content-Type: text/plain\n\nhello q\nin" + i, new String(result.stdout(), UTF_8));
                assertTrue(result.fuelUsed() > 0);
            }
            assertEquals(1, store.reads.get(), "fetched once, whatever the number of first calls");
        }
    }

    @Test
    void bytesThatDoNotMatchTheirDigestNeverRun() {
        CountingStore store = new CountingStore();
        String digest = Digests.sha256(TestModules.load("hello"));
        store.put(digest, TestModules.load("trap")); // a store may be wrong; it is never trusted for integrity
        try (LocalScheduler worker = open(store)) {
            SchedulerException.StorageFailure e = assertThrows(SchedulerException.StorageFailure.class,
                    () -> worker.dispatcher().invoke(spec(digest), request("")));
            assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
        }
    }

    @Test
    void aModuleMissingFromTheStoreFailsClearly() {
        try (LocalScheduler worker = open(new CountingStore())) {
            String digest = Digests.sha256(new byte[] {1});
            SchedulerException.StorageFailure missing = assertThrows(SchedulerException.StorageFailure.class,
                    () -> worker.dispatcher().invoke(spec(digest), request("")));
            assertTrue(missing.getMessage().contains("missing from the shared module store"), missing.getMessage());
        }
    }

    @Test
    void theModuleDirectoryReadsAGatewaysModuleFilesByDigestAndRefusesAMalformedDigest() throws Exception {
        byte[] hello = TestModules.load("hello");
        String digest = Digests.sha256(hello);
        Path modules = Files.createDirectories(dir.resolve("modules"));
        Files.write(modules.resolve(Digests.hex(digest) + ".wasm"), hello);
        ModuleStore store = DiskModuleStore.directory(modules);
        assertEquals(hello.length, store.get(digest).orElseThrow().length);
        assertTrue(store.get(Digests.sha256(new byte[] {2})).isEmpty());
        assertThrows(SchedulerException.InvalidInput.class, () -> store.get("sha256:../x"));
    }
}
