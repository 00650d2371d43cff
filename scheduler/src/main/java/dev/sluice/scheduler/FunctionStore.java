package dev.sluice.scheduler;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.config.AtomicFiles;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The registry's files: {@code functions.json} (a snapshot of the whole index), {@code functions.journal} (the
 * changes since that snapshot) and {@code modules/<hex>.wasm} (content-addressed module bytes, shared by every
 * function with that digest; kept by {@link DiskModuleStore}).
 *
 * <p>A change appends one record to the journal and forces it to disk ({@code length | CRC32C | JSON}), so a deploy
 * or delete costs the same with 100 000 functions stored as with none (rewriting the whole index cost 170 ms per
 * deploy at 10 000 functions). When the journal outgrows {@code max(4 MiB, snapshot)}, and at close, the snapshot is
 * rewritten through {@link AtomicFiles} and the journal emptied: amortized, a constant cost per change. Opening reads
 * the snapshot and replays the journal; a torn last record (a crash mid-append) fails its length or checksum and is
 * cut off. Replaying records the snapshot already includes changes nothing (each record sets or removes entries),
 * so a crash between writing the snapshot and emptying the journal is harmless.
 *
 * <p>Not thread-safe: the registry serializes writes.
 */
final class FunctionStore {
    private static final int VERSION = 1;

    /** The journal's size beyond which it is folded into the snapshot, unless the snapshot is larger. */
    static final long COMPACT_BYTES = 4L << 20;
    private static final int RECORD_HEADER = 8;

    private final Path index;
    private final Path journal;
    private final DiskModuleStore modules;
    private final ObjectMapper json = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    private final ObjectMapper compact = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    /** Open for appending from the first change on; null before it and after {@link #close}. */
    private FileChannel appender;
    /** Bytes of valid records in the journal. */
    private long journalBytes;
    private long snapshotBytes;
    private long compactions;

    FunctionStore(Path dataDir) {
        this.index = dataDir.resolve("functions.json");
        this.journal = dataDir.resolve("functions.journal");
        this.modules = DiskModuleStore.open(dataDir);
    }

    /** One journal record: {@code put} (function), {@code delete} (tenant, name) or {@code delete-tenant} (tenant). */
    record Change(String op, Entry function, String tenant, String name) {}

    /** Stored form: plain strings, so the file stays readable and independent of our value types. */
    record Index(int version, List<Entry> functions) {}

    /** @param fuel absent in entries written before fuel existed: {@link FunctionSpec#DEFAULT_FUEL} */
    record Entry(String tenant, String name, String digest, long size, int memoryPages, long timeoutMs,
                 String deployedAt, Long fuel) {}

    /**
     * @return the stored functions: the snapshot with the journal replayed on it; none when there is neither yet
     * @throws StorageFailure naming the file when the snapshot is corrupt or a journal record that passed its
     *                        checksum cannot be applied
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
            } catch (IOException | RuntimeException e) {
                throw new StorageFailure("corrupt function index " + index + ": " + e.getMessage(), e);
            }
        }
        replay(entries);
        try {
            return entries.values().stream().map(FunctionStore::spec).toList();
        } catch (RuntimeException e) {
            throw new StorageFailure("corrupt function index " + index + " or " + journal + ": " + e.getMessage(),
                    e);
        }
    }

    private void replay(Map<String, Entry> entries) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(journal);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new StorageFailure("cannot read " + journal + ": " + e.getMessage(), e);
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        int valid = 0;
        while (in.remaining() >= RECORD_HEADER) {
            int length = in.getInt();
            int crc = in.getInt();
            if (length < 0 || length > in.remaining()) {
                break;
            }
            var check = new CRC32C();
            check.update(bytes, in.position(), length);
            if ((int) check.getValue() != crc) {
                break;
            }
            Change change;
            try {
                change = compact.readValue(bytes, in.position(), length, Change.class);
                apply(change, entries);
            } catch (IOException | RuntimeException e) {
                throw new StorageFailure("corrupt record at byte " + valid + " of " + journal + ": "
                        + e.getMessage(), e);
            }
            in.position(in.position() + length);
            valid = in.position();
        }
        journalBytes = valid;
        if (valid < bytes.length) {
            // A crash mid-append: that change was never acknowledged, so it is dropped, and the next append must not
            // land behind the torn bytes.
            try (FileChannel channel = FileChannel.open(journal, StandardOpenOption.WRITE)) {
                channel.truncate(valid);
                channel.force(true);
            } catch (IOException e) {
                throw new StorageFailure("cannot cut the torn end off " + journal + ": " + e.getMessage(), e);
            }
        }
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
        return journalBytes > Math.max(COMPACT_BYTES, snapshotBytes);
    }

    /** Whether the journal holds changes the snapshot does not. */
    boolean hasJournal() {
        return journalBytes > 0;
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
            throw new StorageFailure("cannot encode a change for " + journal + ": " + e.getMessage(), e);
        }
        var crc = new CRC32C();
        crc.update(body);
        ByteBuffer record = ByteBuffer.allocate(RECORD_HEADER + body.length);
        record.putInt(body.length).putInt((int) crc.getValue()).put(body).flip();
        try {
            if (appender == null) {
                boolean created = !Files.exists(journal);
                Files.createDirectories(journal.toAbsolutePath().getParent());
                appender = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                if (created) {
                    forceDirectory(journal.toAbsolutePath().getParent());
                }
            }
            appender.position(journalBytes);
            while (record.hasRemaining()) {
                appender.write(record);
            }
            appender.force(false);
            journalBytes += RECORD_HEADER + body.length;
        } catch (IOException e) {
            // The caller rolls back: cut off whatever part of the record got written, so it cannot reappear.
            try {
                if (appender != null) {
                    appender.truncate(journalBytes);
                }
            } catch (IOException ignored) {
                // a torn record fails its checksum at the next open
            }
            throw new StorageFailure("cannot write " + journal + ": " + e.getMessage(), e);
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException ignored) {
            // not supported everywhere; the file's own force still holds its content
        }
    }

    /** Folds the journal into a new snapshot of {@code functions}; logged, not thrown, when that fails. */
    void compactQuietly(Collection<FunctionSpec> functions) {
        try {
            save(functions);
        } catch (StorageFailure e) {
            System.getLogger(FunctionStore.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot fold " + journal + " into " + index + " (the journal stays authoritative): "
                            + e.getMessage());
        }
    }

    /** Closes the journal; everything appended was forced already. */
    void close() {
        if (appender != null) {
            try {
                appender.close();
            } catch (IOException ignored) {
                // nothing left to write
            }
            appender = null;
        }
    }

    /**
     * Writes {@code functions} as the whole snapshot, atomically, and empties the journal, whose changes the snapshot
     * now holds (a crash in between only replays them again, changing nothing).
     */
    void save(Collection<FunctionSpec> functions) {
        List<Entry> entries = new ArrayList<>(functions.stream().map(FunctionStore::entry).toList());
        entries.sort(Comparator.comparing(Entry::tenant).thenComparing(Entry::name));
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(new Index(VERSION, entries));
            AtomicFiles.write(index, bytes);
        } catch (IOException e) {
            throw new StorageFailure("cannot write " + index + ": " + e.getMessage(), e);
        }
        snapshotBytes = bytes.length;
        compactions++;
        if (journalBytes > 0) {
            try {
                if (appender != null) {
                    appender.truncate(0);
                    appender.force(true);
                } else {
                    try (FileChannel channel = FileChannel.open(journal, StandardOpenOption.WRITE)) {
                        channel.truncate(0);
                        channel.force(true);
                    }
                }
                journalBytes = 0;
            } catch (IOException e) {
                throw new StorageFailure("cannot empty " + journal + ": " + e.getMessage(), e);
            }
        }
    }

    private static Entry entry(FunctionSpec f) {
        return new Entry(f.tenant(), f.name().value(), f.digest(), f.size(), f.memoryPages(), f.timeoutMs(),
                f.deployedAt().toString(), f.fuel());
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
