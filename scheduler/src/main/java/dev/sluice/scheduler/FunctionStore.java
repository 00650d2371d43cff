package dev.sluice.scheduler;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.config.AtomicFiles;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The registry's files: {@code functions.json} (the whole index, rewritten atomically on every change) and
 * {@code modules/<hex>.wasm} (content-addressed module bytes, shared by every function with that digest; kept by
 * {@link DiskModuleStore}). Every
 * write goes through {@link AtomicFiles}, so a crash leaves the old file or the new one. Not thread-safe: the
 * registry serializes writes.
 */
final class FunctionStore {
    private static final int VERSION = 1;

    private final Path index;
    private final DiskModuleStore modules;
    private final ObjectMapper json = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    FunctionStore(Path dataDir) {
        this.index = dataDir.resolve("functions.json");
        this.modules = DiskModuleStore.open(dataDir);
    }

    /** Stored form: plain strings, so the file stays readable and independent of our value types. */
    record Index(int version, List<Entry> functions) {}

    /** @param fuel absent in entries written before fuel existed: {@link FunctionSpec#DEFAULT_FUEL} */
    record Entry(String tenant, String name, String digest, long size, int memoryPages, long timeoutMs,
                 String deployedAt, Long fuel) {}

    /** @return the stored functions; none when there is no index yet */
    List<FunctionSpec> load() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(index);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new StorageFailure("cannot read " + index + ": " + e.getMessage(), e);
        }
        try {
            Index stored = json.readValue(bytes, Index.class);
            if (stored.version() != VERSION || stored.functions() == null) {
                throw new IllegalArgumentException("unsupported version " + stored.version());
            }
            return stored.functions().stream().map(FunctionStore::spec).toList();
        } catch (IOException | RuntimeException e) {
            throw new StorageFailure("corrupt function index " + index + ": " + e.getMessage(), e);
        }
    }

    void save(Collection<FunctionSpec> functions) {
        List<Entry> entries = functions.stream()
                .sorted(Comparator.comparing(FunctionSpec::tenant).thenComparing(f -> f.name().value()))
                .map(f -> new Entry(f.tenant(), f.name().value(), f.digest(), f.size(), f.memoryPages(),
                        f.timeoutMs(), f.deployedAt().toString(), f.fuel()))
                .toList();
        try {
            AtomicFiles.write(index, json.writeValueAsBytes(new Index(VERSION, entries)));
        } catch (IOException e) {
            throw new StorageFailure("cannot write " + index + ": " + e.getMessage(), e);
        }
    }

    /** The module's bytes, verified against the digest they are stored under. */
    byte[] readModule(String digest) {
        Path file = moduleFile(digest);
        byte[] bytes = modules.get(digest).orElseThrow(() -> new StorageFailure("cannot read module " + file
                + ": " + new NoSuchFileException(file.toString()), null));
        String actual = Digests.sha256(bytes);
        if (!actual.equals(digest)) {
            throw new StorageFailure("module " + file + " is corrupt: its digest is " + actual, null);
        }
        return bytes;
    }

    void writeModule(String digest, byte[] bytes) {
        modules.put(digest, bytes);
    }

    /** Best effort: a module file left behind is only wasted space, swept after the next start. */
    void deleteModule(String digest) {
        modules.delete(digest);
    }

    Path moduleFile(String digest) {
        return modules.file(digest);
    }

    /** The module files, as the {@link dev.sluice.scheduler.shared.ModuleStore} seam. */
    DiskModuleStore modules() {
        return modules;
    }

    Path indexFile() {
        return index;
    }

    private static FunctionSpec spec(Entry e) {
        Digests.hex(e.digest()); // rejects anything that could escape the modules directory
        return new FunctionSpec(e.tenant(), FunctionName.of(e.name()), e.digest(), e.size(), e.memoryPages(),
                e.timeoutMs(), Instant.parse(e.deployedAt()),
                e.fuel() == null ? FunctionSpec.DEFAULT_FUEL : e.fuel());
    }
}
