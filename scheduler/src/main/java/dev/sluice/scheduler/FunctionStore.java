package dev.sluice.scheduler;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.config.AtomicFiles;
import dev.sluice.config.Journal;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.assets.AttachedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The registry's files: {@code functions.json} (a snapshot of the whole index), the journal segments
 * {@code functions.<first-seq>.journal} (the changes since that snapshot, kept by {@link Journal}) and
 * {@code modules/<hex>.wasm} (content-addressed module bytes, shared by every function with that digest; kept by
 * {@link DiskModuleStore}).
 *
 * <p>A change appends one record to the journal and returns once it is forced to disk, so a deploy or delete costs
 * the same with 100 000 functions stored as with none (rewriting the whole index cost 170 ms per deploy at 10 000
 * functions). When the journal's segment outgrows {@code max(4 MiB, snapshot)}, and at close, the journal rolls to a
 * new segment, the snapshot is rewritten through {@link AtomicFiles} with the seq of the last record it holds, and
 * the segments it covers are deleted: amortized, a constant cost per change. Opening reads the snapshot and replays
 * the records after its seq; a torn last record (a crash mid-append) is cut off by {@link Journal}. A crash between
 * writing the snapshot and deleting the segments only leaves records the snapshot's seq skips (and replaying them
 * would change nothing anyway: each record sets or removes entries).
 *
 * <p>Not thread-safe: the registry serializes writes.
 */
final class FunctionStore {
    private static final int VERSION = 1;
    private static final String JOURNAL = "functions";

    /** The journal's size beyond which it is folded into the snapshot, unless the snapshot is larger. */
    static final long COMPACT_BYTES = 4L << 20;

    private final Path dataDir;
    private final Path index;
    private final DiskModuleStore modules;
    private final ObjectMapper json = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    private final ObjectMapper compact = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    /** Opened by {@link #load} (or the first write, for a store written without loading); null after close. */
    private Journal journal;
    /** The seq of the last journal record the snapshot holds. */
    private long snapshotSeq;
    private long snapshotBytes;
    private long compactions;

    FunctionStore(Path dataDir) {
        this.dataDir = dataDir;
        this.index = dataDir.resolve("functions.json");
        this.modules = DiskModuleStore.open(dataDir);
    }

    /** One journal record: {@code put} (function), {@code delete} (tenant, name) or {@code delete-tenant} (tenant). */
    record Change(String op, Entry function, String tenant, String name) {}

    /**
     * Stored form: plain strings, so the file stays readable and independent of our value types.
     *
     * @param seq the last journal record the snapshot holds; absent in snapshots written before the journal: 0
     */
    record Index(int version, List<Entry> functions, Long seq) {}

    /**
     * @param fuel   absent in entries written before fuel existed: {@link FunctionSpec#DEFAULT_FUEL}
     * @param assets absent in entries of functions without assets, and in those written before assets existed
     */
    record Entry(String tenant, String name, String digest, long size, int memoryPages, long timeoutMs,
                 String deployedAt, Long fuel,
                 @JsonInclude(JsonInclude.Include.NON_NULL) AttachedAssets.Stored assets) {}

    /**
     * @return the stored functions: the snapshot with the journal replayed on it; none when there is neither yet
     * @throws StorageFailure naming the file when the snapshot or the journal is corrupt or a journal record that
     *                        passed its checksum cannot be applied
     */
    List<FunctionSpec> load() {
        Map<String, Entry> entries = new LinkedHashMap<>();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(index);
        } catch (NoSuchFileException e) {
            bytes = null;
        } catch (IOException e) {
            throw new StorageFailure("cannot read " + index + ": " + e.getMessage(), e);
        }
        if (bytes != null) {
            snapshotBytes = bytes.length;
            try {
                Index stored = json.readValue(bytes, Index.class);
                if (stored.version() != VERSION || stored.functions() == null) {
                    throw new IllegalArgumentException("unsupported version " + stored.version());
                }
                stored.functions().forEach(e -> entries.put(key(e.tenant(), e.name()), e));
                snapshotSeq = stored.seq() == null ? 0 : stored.seq();
            } catch (IOException | RuntimeException e) {
                throw new StorageFailure("corrupt function index " + index + ": " + e.getMessage(), e);
            }
        }
        open(entry -> replay(entry, entries));
        try {
            return entries.values().stream().map(FunctionStore::spec).toList();
        } catch (RuntimeException e) {
            throw new StorageFailure("corrupt function index " + index + " or journal " + journalName() + ": "
                    + e.getMessage(), e);
        }
    }

    private void open(Consumer<Journal.Entry> replay) {
        try {
            journal = Journal.open(dataDir, JOURNAL, snapshotSeq, replay);
        } catch (IOException e) {
            throw storageFailure(e);
        }
    }

    /** The journal, opened without replaying for a store written without {@link #load}: its writes supersede. */
    private Journal journal() {
        if (journal == null) {
            open(entry -> {});
        }
        return journal;
    }

    private void replay(Journal.Entry entry, Map<String, Entry> entries) {
        if (entry.seq() <= snapshotSeq) {
            return;
        }
        try {
            apply(compact.readValue(entry.payload(), Change.class), entries);
        } catch (IOException | RuntimeException e) {
            throw new StorageFailure("corrupt record " + entry.seq() + " of " + journalName() + ": "
                    + e.getMessage(), e);
        }
    }

    private String journalName() {
        return dataDir.resolve(JOURNAL) + ".*.journal";
    }

    /** The journal's errors name their file already; this is where they become the scheduler's. */
    private static StorageFailure storageFailure(IOException e) {
        return new StorageFailure(e.getMessage(), e);
    }

    private static void apply(Change change, Map<String, Entry> entries) {
        switch (change.op()) {
            case "put" -> entries.put(key(change.function().tenant(), change.function().name()), change.function());
            case "delete" -> entries.remove(key(change.tenant(), change.name()));
            case "delete-tenant" -> entries.values().removeIf(e -> e.tenant().equals(change.tenant()));
            default -> throw new IllegalArgumentException("unknown change " + change.op());
        }
    }

    private static String key(String tenant, String name) {
        return tenant + '\n' + name;
    }

    /** Stores {@code function}, replacing the one of its tenant and name. Durable when it returns. */
    void put(FunctionSpec function) {
        append(new Change("put", entry(function), null, null));
    }

    /** Removes the function. Durable when it returns. */
    void delete(String tenant, FunctionName name) {
        append(new Change("delete", null, tenant, name.value()));
    }

    /** Removes every function of the tenant, as one change. Durable when it returns. */
    void deleteTenant(String tenant) {
        append(new Change("delete-tenant", null, tenant, null));
    }

    /** Whether the journal has grown enough that {@link #save} should fold it into the snapshot. */
    boolean wantsCompaction() {
        return journal != null && journal.segmentBytes() > Math.max(COMPACT_BYTES, snapshotBytes);
    }

    /** Whether the journal holds changes the snapshot does not. */
    boolean hasJournal() {
        return journal != null && journal.lastSeq() > snapshotSeq;
    }

    /** Snapshots written since this store was opened (for tests). */
    long compactions() {
        return compactions;
    }

    private void append(Change change) {
        byte[] body;
        try {
            body = compact.writeValueAsBytes(change);
        } catch (IOException e) {
            throw new StorageFailure("cannot encode a change for " + journalName() + ": " + e.getMessage(), e);
        }
        try {
            // On failure the journal has cut off whatever part of the record got written, so the caller's rollback
            // holds: it cannot reappear.
            journal().append(body);
        } catch (IOException e) {
            throw storageFailure(e);
        }
    }

    /** Folds the journal into a new snapshot of {@code functions}; logged, not thrown, when that fails. */
    void compactQuietly(Collection<FunctionSpec> functions) {
        try {
            save(functions);
        } catch (StorageFailure e) {
            System.getLogger(FunctionStore.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot fold " + journalName() + " into " + index + " (the journal stays authoritative): "
                            + e.getMessage());
        }
    }

    /** Closes the journal; everything appended was forced already. */
    void close() {
        if (journal != null) {
            journal.close();
            journal = null;
        }
    }

    /**
     * Writes {@code functions} as the whole snapshot, atomically, and deletes the journal segments whose changes the
     * snapshot now holds (a crash in between leaves records the snapshot's seq skips at the next open).
     */
    void save(Collection<FunctionSpec> functions) {
        List<Entry> entries = new ArrayList<>(functions.stream().map(FunctionStore::entry).toList());
        entries.sort(Comparator.comparing(Entry::tenant).thenComparing(Entry::name));
        Journal log = journal();
        long seq;
        try {
            seq = log.roll();
        } catch (IOException e) {
            throw storageFailure(e);
        }
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(new Index(VERSION, entries, seq));
            AtomicFiles.write(index, bytes);
        } catch (IOException e) {
            throw new StorageFailure("cannot write " + index + ": " + e.getMessage(), e);
        }
        snapshotBytes = bytes.length;
        snapshotSeq = seq;
        compactions++;
        try {
            log.deleteThrough(seq);
        } catch (IOException e) {
            throw storageFailure(e);
        }
    }

    private static Entry entry(FunctionSpec f) {
        return new Entry(f.tenant(), f.name().value(), f.digest(), f.size(), f.memoryPages(), f.timeoutMs(),
                f.deployedAt().toString(), f.fuel(), f.assets().map(AttachedAssets.Stored::of).orElse(null));
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
                e.fuel() == null ? FunctionSpec.DEFAULT_FUEL : e.fuel(),
                Optional.ofNullable(e.assets()).map(AttachedAssets.Stored::attached));
    }
}
