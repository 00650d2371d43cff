package dev.sluice.scheduler.assets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.AtomicFiles;
import dev.sluice.scheduler.Digests;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.SchedulerException.AssetsRejected;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.files.AssetMount;
import dev.sluice.scheduler.shared.ModuleStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The asset trees on this process's local disk: {@code <dataDir>/assets/<hex>/}, named by the SHA-256 of the tree's
 * canonical archive ({@link AssetArchive#canonical}), never written once complete.
 *
 * <p>Which function has which tree is the function record's business ({@link AttachedAssets} in
 * {@code FunctionSpec}, stored by the function registry). This class only keeps, in
 * {@code <dataDir>/assets/index.json} (written atomically with {@link AtomicFiles}), the references this data
 * directory holds: one per tree a function was given through this process, taken when the tree is stored (before the
 * registry is told) and given back once the registry no longer points at it ({@link #release}). So the references
 * are a superset of what the records on this data directory point at, whatever crashes in between: a tree is deleted
 * when its last reference goes, and the sweep at {@link #open} deletes only trees nothing references (and temporary
 * directories). A tree fetched from a shared store ({@link #resolve}) holds no reference: it is a cache, swept at the
 * next start and fetched again when needed.
 *
 * <p>An upload is unpacked into {@code <dataDir>/assets/upload.tmp-<random>/} outside any lock, so a slow client
 * holds no one up; then, under the lock, renamed to its digest's directory (or dropped, when that tree is already
 * there: the same files are stored once). A refused upload leaves nothing: its temporary directory is deleted before
 * the refusal is thrown.
 *
 * <p>Thread-safe. Owners are opaque strings (the gateway passes the tenant's uid, as to the function registry).
 */
public final class FunctionAssets {
    private static final System.Logger LOG = System.getLogger(FunctionAssets.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INDEX = "index.json";
    private static final String TEMP = ".tmp-";
    /** Failed attaches in a row after which {@link #upgrade} leaves the rest for the next start. */
    private static final int UPGRADE_FAILURES = 3;

    private final Path root;
    private final Object lock = new Object();
    /** Owner → function name → the trees it holds a reference to (one each, usually); guarded by {@link #lock}. */
    private Map<String, Map<String, List<String>>> index;
    /**
     * Owner → function name → the tree the first version of this feature gave it, which only its {@code index.json}
     * (version 1) recorded: not attached to the function's record yet ({@link #upgrade}). Each also holds one
     * reference in {@link #index}, so nothing is swept meanwhile. Kept in the version 2 file ({@code "unattached"})
     * until upgraded, so no write in between loses them. Guarded by {@link #lock}.
     */
    private Map<String, Map<String, AssetTree>> unattached;
    /**
     * The complete trees in this data directory, by digest: changed under {@link #lock} with the directories
     * themselves, read without it by {@link #local} (every invocation of a function with assets), so that costs a
     * hash lookup instead of a {@code Files.isDirectory} (1.6 to 3.3 µs on a loaded 2-core machine,
     * {@code AssetArchivePeak}). A directory named by a digest that is not here is a tree whose deletion failed, never
     * served and replaced when the tree is stored again.
     */
    private final Map<String, Path> here = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * The canonical archive's length of each tree uploaded through this process while it is here, counted while the
     * upload was hashed, so {@link #archive} writes it once instead of counting it first. Changed under {@link #lock}.
     */
    private final Map<String, Long> archiveLengths = new java.util.concurrent.ConcurrentHashMap<>();
    /** Fetches from a shared store under way, by digest: the other calls for that tree wait for the same outcome. */
    private final Map<String, CompletableFuture<Optional<Path>>> fetching =
            new java.util.concurrent.ConcurrentHashMap<>();

    private FunctionAssets(Path root, Stored stored) {
        this.root = root;
        this.index = stored.references();
        this.unattached = stored.unattached();
    }

    private record Stored(Map<String, Map<String, List<String>>> references,
                          Map<String, Map<String, AssetTree>> unattached) {}

    /** The assets under {@code <dataDir>/assets}, with leftovers of a crash swept. */
    public static FunctionAssets open(Path dataDir) {
        Path root = Objects.requireNonNull(dataDir, "dataDir").resolve("assets");
        FunctionAssets assets = new FunctionAssets(root, read(root.resolve(INDEX)));
        assets.sweep();
        assets.index.values().forEach(byName -> byName.values().forEach(held -> held.forEach(digest -> {
            Path dir = assets.directoryOf(digest);
            if (Files.isDirectory(dir)) {
                assets.here.put(digest, dir);
            }
        })));
        return assets;
    }

    /** What {@link #upgrade} did. */
    public record Upgrade(int attached, int released, int pending) {}

    /**
     * Attaches each tree that only a version 1 {@code index.json} recorded to its function's record (mounted at
     * {@link AssetMount#DEFAULT}, as that version's trees were), when the function exists and has no assets; a tree
     * whose function is gone, or has other assets now, is given back (deleted when nothing else uses it). Then the
     * index is written without them. Idempotent and safe whatever crash happens: every record is changed before the
     * index forgets the entry, a record that already has assets is never changed (so a run again after a crash
     * keeps what the first attached, and never replaces a newer upload), and the index keeps exactly one reference
     * per function for the tree its record names. An entry whose attach fails (the shared store is away) stays for
     * the next start, and so do all the rest once {@value #UPGRADE_FAILURES} fail in a row (the start waits for no
     * more). An entry whose tree is not in this data directory any more is dropped, never attached. Call once the
     * function registry is open, before serving.
     */
    public Upgrade upgrade(dev.sluice.scheduler.FunctionRegistry functions) {
        synchronized (lock) {
            if (unattached.isEmpty()) {
                return new Upgrade(0, 0, 0);
            }
            Map<String, Map<String, List<String>>> next = copy();
            Map<String, Map<String, AssetTree>> pending = new TreeMap<>();
            List<String> released = new ArrayList<>();
            int attached = 0;
            int failedInARow = 0;
            for (var owner : unattached.entrySet()) {
                for (var entry : owner.getValue().entrySet()) {
                    FunctionName name = FunctionName.of(entry.getKey());
                    AssetTree tree = entry.getValue();
                    if (failedInARow >= UPGRADE_FAILURES) {
                        // The registry is away: a few waits at the start are enough, the rest waits for the next one
                        // (one bad entry alone does not hold the others back).
                        pending.computeIfAbsent(owner.getKey(), o -> new TreeMap<>()).put(name.value(), tree);
                        continue;
                    }
                    Optional<dev.sluice.scheduler.FunctionRegistry.AssetsChange> change;
                    if (!here.containsKey(tree.digest())) {
                        // Lost before this start (deleted by hand): nothing to attach, a record must never name it.
                        LOG.log(System.Logger.Level.WARNING, "assets of " + owner.getKey() + "/" + name + " ("
                                + tree.digest() + ") are not in " + root + ": not attached");
                        change = Optional.empty();
                    } else {
                        try {
                            change = functions.attach(owner.getKey(), name, new AttachedAssets(tree,
                                    AssetMount.DEFAULT), () -> archive(tree.digest()), true);
                            failedInARow = 0;
                        } catch (RuntimeException e) {
                            LOG.log(System.Logger.Level.WARNING, "assets of " + owner.getKey() + "/" + name + " ("
                                    + tree.digest() + ") not attached yet, again at the next start: "
                                    + e.getMessage());
                            pending.computeIfAbsent(owner.getKey(), o -> new TreeMap<>()).put(name.value(), tree);
                            failedInARow++;
                            continue;
                        }
                    }
                    boolean named = change.flatMap(c -> c.after().assets())
                            .map(a -> a.digest().equals(tree.digest())).orElse(false);
                    if (named) {
                        attached++;
                    } else {
                        List<String> held = next.getOrDefault(owner.getKey(), Map.of()).get(name.value());
                        if (held != null && held.remove(tree.digest())) {
                            released.add(tree.digest());
                        }
                    }
                }
            }
            Map<String, Map<String, AssetTree>> before = unattached;
            unattached = pending;
            try {
                write(next);
            } catch (RuntimeException e) {
                unattached = before;
                throw e;
            }
            released.forEach(this::deleteIfUnused);
            return new Upgrade(attached, released.size(),
                    pending.values().stream().mapToInt(Map::size).sum());
        }
    }

    /**
     * Gives back every reference this data directory holds that no record backs any more: the tree its function's
     * record does not name (replaced, detached or deleted through another gateway on the same Redis, or left by a
     * crash between storing a tree and attaching it), and duplicates; a function keeps one reference to the tree its
     * record names. Trees nothing references then are deleted. Call at the start, after {@link #upgrade} and before
     * serving: then no upload of this process is between taking its reference and attaching. An owner whose
     * functions cannot be listed (the registry is away) keeps all of its references.
     *
     * @return the references given back
     */
    public int reconcile(dev.sluice.scheduler.FunctionRegistry functions) {
        synchronized (lock) {
            Map<String, Map<String, List<String>>> next = copy();
            List<String> released = new ArrayList<>();
            for (var owner : next.entrySet()) {
                Map<String, String> named = new java.util.HashMap<>();
                try {
                    functions.list(owner.getKey()).forEach(f -> f.assets()
                            .ifPresent(a -> named.put(f.name().value(), a.digest())));
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "assets of " + owner.getKey() + " not reconciled with their"
                            + " records, again at the next start: " + e.getMessage());
                    continue;
                }
                Map<String, AssetTree> pending = unattached.getOrDefault(owner.getKey(), Map.of());
                owner.getValue().forEach((name, held) -> {
                    if (pending.containsKey(name)) {
                        return; // its record is changed by the upgrade, not yet done
                    }
                    String keep = named.get(name);
                    boolean kept = false;
                    for (var it = held.iterator(); it.hasNext(); ) {
                        String digest = it.next();
                        if (!kept && digest.equals(keep)) {
                            kept = true;
                        } else {
                            it.remove();
                            released.add(digest);
                        }
                    }
                });
            }
            if (released.isEmpty()) {
                return 0;
            }
            write(next);
            new java.util.LinkedHashSet<>(released).forEach(this::deleteIfUnused);
            return released.size();
        }
    }

    /**
     * Stores the tree of the tar {@code body} and takes a reference to it for the function: the caller then attaches
     * it to the function's record and {@link #release}s the tree the record had before (or this one, when attaching
     * failed).
     *
     * @throws AssetsRejected when the archive breaks a rule; nothing is stored then
     * @throws StorageFailure when the data directory cannot be written
     */
    public AssetTree store(String owner, FunctionName name, InputStream body, AssetLimits limits) {
        if (limits.maxBytes() == 0) {
            throw AssetArchive.rejected(AssetRejection.TOO_LARGE, "this plan allows no assets (max-asset-bytes: 0)");
        }
        Path temp = temporaryDirectory("upload");
        AssetTree tree;
        long archiveLength;
        try {
            AssetArchive.Unpacked unpacked = AssetArchive.unpack(body, limits, temp);
            Canonical canonical = canonical(temp);
            tree = new AssetTree(canonical.digest(), unpacked.files(), unpacked.bytes());
            archiveLength = canonical.length();
            readOnly(temp);
        } catch (RuntimeException e) {
            deleteTree(temp);
            throw e instanceof UncheckedIOException io
                    ? new StorageFailure("cannot write assets under " + root + ": " + io.getCause(), io) : e;
        } catch (IOException e) {
            deleteTree(temp);
            throw new StorageFailure("cannot write assets under " + root + ": " + e, e);
        }
        synchronized (lock) {
            Path dir = directoryOf(tree.digest());
            try {
                place(tree.digest(), temp);
            } catch (IOException e) {
                deleteTree(temp);
                throw new StorageFailure("cannot store assets " + dir + ": " + e, e);
            }
            archiveLengths.put(tree.digest(), archiveLength);
            Map<String, Map<String, List<String>>> next = copy();
            next.computeIfAbsent(owner, o -> new TreeMap<>()).computeIfAbsent(name.value(), n -> new ArrayList<>())
                    .add(tree.digest());
            write(next);
        }
        return tree;
    }

    /**
     * Gives back one reference of the function to the tree {@code digest} (none held: nothing happens), deleting the
     * tree when it was the last one.
     */
    public void release(String owner, FunctionName name, String digest) {
        synchronized (lock) {
            Map<String, Map<String, List<String>>> next = copy();
            Map<String, List<String>> functions = next.get(owner);
            List<String> held = functions == null ? null : functions.get(name.value());
            if (held == null || !held.remove(digest)) {
                return;
            }
            write(next);
            deleteIfUnused(digest);
        }
    }

    /**
     * The canonical archive of a tree stored here, in memory (a shared store takes bytes): written into an array of
     * exactly its size, so the heap holds the archive once (a growing buffer and its final copy allocated five times
     * its size: {@code AssetArchivePeak}); the size is known from the upload, or else counted in a first pass. At most
     * the plan's {@code max-asset-bytes} plus headers and padding.
     *
     * @throws StorageFailure when the tree is not here or cannot be read, or its archive passes 2 GiB (no array holds
     *                        it; a Redis string holds 512 MB at most anyway)
     */
    public byte[] archive(String digest) {
        Path tree = directoryOf(digest);
        try {
            Long known = archiveLengths.get(digest);
            long size = known != null ? known : canonicalLength(tree);
            if (size > Integer.MAX_VALUE - 8) {
                throw new StorageFailure("assets " + digest + ": archive of " + size + " bytes, too large for"
                        + " the shared store", null);
            }
            byte[] bytes = new byte[(int) size];
            java.nio.ByteBuffer into = java.nio.ByteBuffer.wrap(bytes);
            AssetArchive.canonical(tree, new OutputStream() {
                @Override
                public void write(int b) {
                    into.put((byte) b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    into.put(b, off, len);
                }
            });
            if (into.hasRemaining()) {
                throw new IOException("the tree changed while it was read");
            }
            return bytes;
        } catch (IOException | UncheckedIOException | java.nio.BufferOverflowException e) {
            throw new StorageFailure("cannot read assets " + digest + ": " + e, e);
        }
    }

    /** The tree's directory when it is in this data directory (complete: only whole trees get their name). */
    public Optional<Path> local(String digest) {
        return Optional.ofNullable(here.get(digest));
    }

    /**
     * Gives the complete tree in {@code temp} its digest's name, or drops it when that tree is here already; a
     * leftover of a failed deletion under that name is deleted first. Under {@link #lock}.
     */
    private void place(String digest, Path temp) throws IOException {
        if (here.containsKey(digest)) {
            deleteTree(temp);
            return;
        }
        Path dir = directoryOf(digest);
        deleteTree(dir);
        try {
            Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, dir);
        }
        here.put(digest, dir);
    }

    /**
     * The directory of the tree {@code digest} in this data directory, fetched from {@code shared} and unpacked if it
     * is not here yet (a worker's side of an attach, which puts the tree's {@link #archive} into the shared store).
     * The bytes are verified against the digest before they are unpacked, and unpacked under the same rules as an
     * upload, within {@code limits}.
     *
     * <p>One fetch per digest at a time: calls that find another fetching the same tree wait for it and take its
     * outcome (as if they had come just after it), so a first burst of calls downloads, hashes and unpacks the archive
     * once instead of once each. When that fetch failed, a waiter tries once itself (leading, or waiting for whoever
     * leads then) rather than take another call's failure: no call does worse than fetching alone.
     *
     * @return empty when the shared store does not have it
     * @throws StorageFailure when the bytes do not match the digest or cannot be unpacked, or the calling thread is
     *                        interrupted while it waits for another's fetch (its interrupt status is kept)
     */
    public Optional<Path> resolve(String digest, ModuleStore shared, AssetLimits limits) {
        Path dir = directoryOf(digest);
        boolean retried = false;
        while (true) {
            if (here.containsKey(digest)) {
                return Optional.of(dir);
            }
            var mine = new CompletableFuture<Optional<Path>>();
            var running = fetching.putIfAbsent(digest, mine);
            if (running == null) {
                // Out of the map before the waiters wake, so one that tries again after a failure never finds it.
                Optional<Path> fetched;
                try {
                    // Looked at again now that this call owns the fetch: another may have finished it just before.
                    fetched = here.containsKey(digest) ? Optional.of(dir) : fetch(digest, shared, limits, dir);
                } catch (RuntimeException | Error e) {
                    fetching.remove(digest, mine);
                    mine.completeExceptionally(e);
                    throw e;
                }
                fetching.remove(digest, mine);
                mine.complete(fetched);
                return fetched;
            }
            try {
                return running.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageFailure("shared store: fetching assets " + digest + ": interrupted", e);
            } catch (ExecutionException e) {
                if (!retried) {
                    retried = true;
                    continue;
                }
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
    }

    /** Downloads, verifies and unpacks the tree, then gives it its name; see {@link #resolve}. */
    private Optional<Path> fetch(String digest, ModuleStore shared, AssetLimits limits, Path dir) {
        Optional<byte[]> bytes = shared.get(digest);
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        String actual = Digests.sha256(bytes.get());
        if (!actual.equals(digest)) {
            throw new StorageFailure("shared assets " + digest + " do not match their digest (got " + actual + ")",
                    null);
        }
        Path temp = temporaryDirectory("fetch");
        try {
            AssetArchive.unpack(new java.io.ByteArrayInputStream(bytes.get()), limits, temp);
            readOnly(temp);
            synchronized (lock) {
                place(digest, temp);
            }
            return Optional.of(dir);
        } catch (AssetsRejected e) {
            deleteTree(temp);
            throw new StorageFailure("shared assets " + digest + " cannot be unpacked: " + e.getMessage(), e);
        } catch (IOException | UncheckedIOException e) {
            deleteTree(temp);
            throw new StorageFailure("cannot write assets " + dir + ": " + e, e);
        }
    }

    /** Gives back every reference the function holds (it is deleted); trees no one else uses are deleted. */
    public void remove(String owner, FunctionName name) {
        synchronized (lock) {
            Map<String, Map<String, List<String>>> next = copy();
            Map<String, List<String>> functions = next.get(owner);
            List<String> held = functions == null ? null : functions.remove(name.value());
            if (held == null) {
                return;
            }
            write(next);
            held.forEach(this::deleteIfUnused);
        }
    }

    /** Gives back all of an owner's references (its tenant is being deleted). */
    public void removeAll(String owner) {
        synchronized (lock) {
            Map<String, Map<String, List<String>>> next = copy();
            Map<String, List<String>> removed = next.remove(owner);
            if (removed == null) {
                return;
            }
            write(next);
            removed.values().forEach(held -> held.forEach(this::deleteIfUnused));
        }
    }

    /** The references the function holds, for tests. */
    List<String> references(String owner, FunctionName name) {
        synchronized (lock) {
            return List.copyOf(index.getOrDefault(owner, Map.of()).getOrDefault(name.value(), List.of()));
        }
    }

    /** A new directory to unpack into, {@code <kind>.tmp-<random>} (swept at start if a crash leaves it). */
    private Path temporaryDirectory(String kind) {
        try {
            Files.createDirectories(root);
            return Files.createTempDirectory(root, kind + TEMP);
        } catch (IOException e) {
            throw new StorageFailure("cannot write assets under " + root + ": " + e, e);
        }
    }

    Path directoryOf(String digest) {
        return root.resolve(digest(digest).substring(Digests.PREFIX.length()));
    }

    private void deleteIfUnused(String digest) {
        boolean used = index.values().stream().flatMap(m -> m.values().stream())
                .anyMatch(held -> held.contains(digest));
        if (!used) {
            here.remove(digest);
            archiveLengths.remove(digest);
            deleteTree(directoryOf(digest));
        }
    }

    /** Deletes temporary directories and trees no function refers to (left by a crash). */
    private void sweep() {
        if (!Files.isDirectory(root)) {
            return;
        }
        Set<String> used;
        synchronized (lock) {
            used = index.values().stream().flatMap(m -> m.values().stream()).flatMap(List::stream)
                    .map(d -> d.substring(Digests.PREFIX.length())).collect(Collectors.toSet());
        }
        try (Stream<Path> children = Files.list(root)) {
            children.filter(Files::isDirectory)
                    .filter(p -> !used.contains(p.getFileName().toString()))
                    .forEach(FunctionAssets::deleteTree);
        } catch (IOException | UncheckedIOException e) {
            // swept again at the next start
        }
    }

    private Map<String, Map<String, List<String>>> copy() {
        Map<String, Map<String, List<String>>> copy = new TreeMap<>();
        index.forEach((owner, functions) -> {
            Map<String, List<String>> byName = new TreeMap<>();
            functions.forEach((name, held) -> byName.put(name, new ArrayList<>(held)));
            copy.put(owner, byName);
        });
        return copy;
    }

    /**
     * Version 2: {@code functions}: owner → name → the digests referenced; {@code unattached} (only while an upgrade
     * is pending): owner → name → the version 1 entry. Version 1 ({@code functions}: owner → name → {digest, files,
     * bytes}) is read as one reference and one unattached tree per function. A function left holding nothing, and an
     * owner left with no function, are dropped here, whichever change left them empty.
     */
    private void write(Map<String, Map<String, List<String>>> next) {
        next.values().forEach(byName -> byName.values().removeIf(List::isEmpty));
        next.values().removeIf(Map::isEmpty);
        ObjectNode node = JSON.createObjectNode().put("version", 2);
        ObjectNode owners = node.putObject("functions");
        next.forEach((owner, functions) -> {
            ObjectNode byName = owners.putObject(owner);
            functions.forEach((name, held) -> held.forEach(byName.putArray(name)::add));
        });
        if (!unattached.isEmpty()) {
            ObjectNode old = node.putObject("unattached");
            unattached.forEach((owner, functions) -> {
                ObjectNode byName = old.putObject(owner);
                functions.forEach((name, tree) -> byName.putObject(name).put("digest", tree.digest())
                        .put("files", tree.files()).put("bytes", tree.bytes()));
            });
        }
        try {
            AtomicFiles.write(root.resolve(INDEX), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
        } catch (IOException e) {
            throw new StorageFailure("cannot write " + root.resolve(INDEX) + ": " + e, e);
        }
        index = next;
    }

    private static Stored read(Path file) {
        JsonNode node;
        try {
            node = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return new Stored(new TreeMap<>(), new TreeMap<>());
        } catch (IOException e) {
            throw new StorageFailure("cannot read " + file + ": " + e, e);
        }
        Map<String, Map<String, List<String>>> index = new TreeMap<>();
        Map<String, Map<String, AssetTree>> unattached = new TreeMap<>();
        try {
            node.get("functions").properties().forEach(owner -> {
                Map<String, List<String>> functions = new TreeMap<>();
                owner.getValue().properties().forEach(f -> {
                    List<String> held = new ArrayList<>();
                    String name = FunctionName.of(f.getKey()).value();
                    if (f.getValue().isArray()) {
                        f.getValue().forEach(d -> held.add(digest(d.asText())));
                    } else {
                        AssetTree tree = tree(f.getValue());
                        held.add(tree.digest());
                        unattached.computeIfAbsent(owner.getKey(), o -> new TreeMap<>()).put(name, tree);
                    }
                    functions.put(name, held);
                });
                index.put(owner.getKey(), functions);
            });
            JsonNode pending = node.get("unattached");
            if (pending != null) {
                pending.properties().forEach(owner -> owner.getValue().properties().forEach(f ->
                        unattached.computeIfAbsent(owner.getKey(), o -> new TreeMap<>())
                                .put(FunctionName.of(f.getKey()).value(), tree(f.getValue()))));
            }
        } catch (RuntimeException e) {
            throw new StorageFailure("corrupt " + file + ": " + e, e);
        }
        return new Stored(index, unattached);
    }

    private static AssetTree tree(JsonNode entry) {
        long files = entry.get("files").asLong(-1);
        long bytes = entry.get("bytes").asLong(-1);
        AssetTree.checkStoredCounts(files, bytes);
        return new AssetTree(digest(entry.get("digest").asText()), files, bytes);
    }

    private static String digest(String text) {
        if (!Digests.isDigest(text)) {
            throw new IllegalArgumentException("digest: '" + text + "' (expected: sha256:<64 hex digits>)");
        }
        return text;
    }

    /** The SHA-256 of the tree's canonical archive. */
    static String digestOf(Path tree) throws IOException {
        return canonical(tree).digest();
    }

    /** A tree's canonical archive, as its digest and length. */
    private record Canonical(String digest, long length) {}

    /** The digest and length of the tree's canonical archive, in one pass. */
    private static Canonical canonical(Path tree) throws IOException {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        CountingOutputStream counted = new CountingOutputStream();
        try (OutputStream out = new DigestOutputStream(counted, sha256)) {
            AssetArchive.canonical(tree, out);
        }
        return new Canonical(Digests.PREFIX + HexFormat.of().formatHex(sha256.digest()), counted.length);
    }

    private static long canonicalLength(Path tree) throws IOException {
        CountingOutputStream counted = new CountingOutputStream();
        AssetArchive.canonical(tree, counted);
        return counted.length;
    }

    /** Counts what is written to it and keeps nothing. */
    private static final class CountingOutputStream extends OutputStream {
        long length;

        @Override
        public void write(int b) {
            length++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            length += len;
        }
    }

    /** Files r--r--r--, directories r-xr-xr-x (where the file system has POSIX permissions). */
    private static void readOnly(Path tree) throws IOException {
        try (Stream<Path> all = Files.walk(tree)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
                            Files.isDirectory(p) ? "r-xr-xr-x" : "r--r--r--"));
                } catch (UnsupportedOperationException e) {
                    return;
                }
            }
        }
    }

    /** Deletes a tree, read-only directories included; best effort (what stays is swept at the next start). */
    static void deleteTree(Path tree) {
        if (!Files.exists(tree)) {
            return;
        }
        try (Stream<Path> all = Files.walk(tree)) {
            all.filter(Files::isDirectory).forEach(d -> {
                try {
                    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
                } catch (IOException | UnsupportedOperationException ignored) {
                    // deleting below fails and is retried at the next start
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // as below
        }
        try (Stream<Path> all = Files.walk(tree)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // swept at the next start
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // swept at the next start
        }
    }

    /** For tests: the directories under the assets root (trees and temporary ones). */
    Set<String> directories() {
        if (!Files.isDirectory(root)) {
            return Set.of();
        }
        try (Stream<Path> children = Files.list(root)) {
            return children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .collect(Collectors.toSet());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The directory of an attached tree for a call run in this process: this data directory's copy, else one
     * {@link #resolve resolved} from {@code shared} within the tree's own recorded size and file count.
     *
     * @return empty when neither has it (each caller names where it looked)
     * @throws StorageFailure when the shared bytes do not match the digest or cannot be unpacked
     */
    public Optional<Path> find(AttachedAssets attached, Optional<ModuleStore> shared) {
        Optional<Path> here = local(attached.digest());
        if (here.isPresent()) {
            return here;
        }
        return shared.flatMap(store -> resolve(attached.digest(), store, AssetLimits.exactly(attached.tree())));
    }
}
