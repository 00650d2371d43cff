package dev.sluice.scheduler;

import dev.sluice.scheduler.fuel.FuelInstrumenter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * What a stored module becomes once validated, kept by the digest of its original bytes, so that loading it again
 * (the first call after a restart) is one parse instead of scan, parse, instrument and parse:
 * {@code <dataDir>/instrumented/<version>/<hex>.bin} holding the instrumented bytes, their declared memory, where
 * the fuel counter is, and Chicory's digest of the instrumented module (the compiled cache's key, which lets the
 * start-up sweep know which compiled entries are still wanted without loading anything).
 *
 * <p>The version directory names everything that decides the entry's content or whether the module is accepted at
 * all: {@link FuelInstrumenter#VERSION}, {@link ModuleValidator#RULES} and the version of Chicory's parser. So an
 * upgrade that changes any of them never reads an older entry; the module is validated again on its first use (and
 * rejected then if the new rules refuse it). Without a known Chicory version the cache is disabled.
 *
 * <p>Entries are derived data: written without fsync (a torn or corrupt file fails its SHA-256 and is treated as
 * absent), by an atomic rename so readers see a whole file or none. Any problem reading one means validating the
 * stored module again, never a failure. Thread-safe: files are immutable once renamed into place and concurrent
 * writers of one digest write identical bytes.
 */
final class InstrumentedCache {
    private static final System.Logger LOG = System.getLogger(InstrumentedCache.class.getName());
    private static final byte[] MAGIC = "sluice-instrumented-1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int CHECKSUM_BYTES = 32;

    private final VersionedDirectory files;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();

    /** One cached module: the instrumented bytes and what {@link ModuleValidator#fromCache} needs beside them. */
    record Entry(String digest, String compiledKey, int initialPages, int maximumPages, int definedFuelGlobal,
                 byte[] instrumented) {}

    private InstrumentedCache(Path root, Optional<String> version) {
        this.files = new VersionedDirectory(root, version, LOG);
    }

    /** The cache under {@code <dataDir>/instrumented}. */
    static InstrumentedCache open(Path dataDir) {
        Optional<String> parser = parserVersion();
        if (parser.isEmpty()) {
            LOG.log(Level.WARNING, "cannot tell the Chicory parser's version: validated modules are not cached on "
                    + "disk, so the first call of each function after a start validates its module again");
        }
        return new InstrumentedCache(dataDir.resolve("instrumented"), parser.map(InstrumentedCache::versionName));
    }

    /** The directory name of this build's entries. */
    static String versionName(String parserVersion) {
        return "fuel-" + FuelInstrumenter.VERSION + "+rules-" + ModuleValidator.RULES + "+chicory-" + parserVersion;
    }

    /** The entry of {@code digest}, or empty when there is none or it is not intact (then it is deleted). */
    Optional<Entry> get(String digest) {
        Optional<Path> file = file(digest);
        if (file.isEmpty()) {
            return Optional.empty();
        }
        byte[] stored;
        try {
            stored = Files.readAllBytes(file.get());
        } catch (NoSuchFileException e) {
            misses.incrementAndGet();
            return Optional.empty();
        } catch (IOException e) {
            return discard(file.get(), "cannot be read: " + e);
        }
        Entry entry = decode(stored);
        if (entry == null || !entry.digest().equals(digest)) {
            return discard(file.get(), "is corrupt");
        }
        hits.incrementAndGet();
        return Optional.of(entry);
    }

    /** Chicory's digest of the cached instrumented module of {@code digest}, without keeping the entry. */
    Optional<String> compiledKey(String digest) {
        return get(digest).map(Entry::compiledKey);
    }

    /** Writes the entry unless one is there already. Best effort: a failure only costs a validation later. */
    void put(Entry entry) {
        Optional<Path> file = file(entry.digest());
        if (file.isEmpty() || Files.isRegularFile(file.get())) {
            return;
        }
        if (files.writeAtomically(file.get(), encode(entry), "validated module")) {
            writes.incrementAndGet();
        }
    }

    /** Deletes the entry of {@code digest}: its module is no longer stored. Best effort. */
    void delete(String digest) {
        file(digest).ifPresent(VersionedDirectory::deleteQuietly);
    }

    /**
     * Deletes the entries whose digest {@code unwanted} accepts, stray temporary files, and the directories of other
     * versions. Best effort; {@code unwanted} is asked per entry, so it can look at the registry as it is then.
     */
    void sweep(Predicate<String> unwanted) {
        files.sweep(p -> unwantedEntry(p, unwanted));
    }

    private static boolean unwantedEntry(Path file, Predicate<String> unwanted) {
        String name = file.getFileName().toString();
        if (!name.endsWith(".bin") || name.length() != 64 + 4 || !name.substring(0, 64).matches("[0-9a-f]{64}")) {
            return true; // a temporary file left by a crash, or something that is not ours
        }
        return unwanted.test(Digests.PREFIX + name.substring(0, 64));
    }

    long hits() {
        return hits.get();
    }

    long misses() {
        return misses.get();
    }

    long writes() {
        return writes.get();
    }

    /** Where the entry of {@code digest} lives; empty when the cache is disabled. */
    Optional<Path> file(String digest) {
        String hex = Digests.hex(digest);
        return files.file(hex + ".bin");
    }

    private Optional<Entry> discard(Path file, String why) {
        misses.incrementAndGet();
        LOG.log(Level.WARNING, "validated module " + file + " " + why + "; validating the stored module again");
        VersionedDirectory.deleteQuietly(file);
        return Optional.empty();
    }

    // magic | u16 len, digest | u16 len, compiled key | initial pages | maximum pages | fuel global
    //       | u32 len, instrumented bytes | SHA-256 of everything before it
    static byte[] encode(Entry entry) {
        byte[] digest = entry.digest().getBytes(StandardCharsets.UTF_8);
        byte[] key = entry.compiledKey().getBytes(StandardCharsets.UTF_8);
        int body = MAGIC.length + 2 + digest.length + 2 + key.length + 12 + 4 + entry.instrumented().length;
        ByteBuffer out = ByteBuffer.allocate(body + CHECKSUM_BYTES);
        out.put(MAGIC).putShort((short) digest.length).put(digest).putShort((short) key.length).put(key)
                .putInt(entry.initialPages()).putInt(entry.maximumPages()).putInt(entry.definedFuelGlobal())
                .putInt(entry.instrumented().length).put(entry.instrumented());
        out.put(sha256(out.array(), body));
        return out.array();
    }

    /** The entry, or null when {@code stored} is not a complete, intact one. */
    static Entry decode(byte[] stored) {
        try {
            if (stored.length < MAGIC.length + CHECKSUM_BYTES
                    || !Arrays.equals(stored, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                return null;
            }
            int body = stored.length - CHECKSUM_BYTES;
            if (!Arrays.equals(stored, body, stored.length, sha256(stored, body), 0, CHECKSUM_BYTES)) {
                return null;
            }
            ByteBuffer in = ByteBuffer.wrap(stored, MAGIC.length, body - MAGIC.length);
            String digest = string(in);
            String key = string(in);
            int initial = in.getInt();
            int maximum = in.getInt();
            int fuelGlobal = in.getInt();
            int length = in.getInt();
            if (length != in.remaining()) {
                return null;
            }
            byte[] instrumented = new byte[length];
            in.get(instrumented);
            return new Entry(digest, key, initial, maximum, fuelGlobal, instrumented);
        } catch (RuntimeException e) { // a length pointing past the end
            return null;
        }
    }

    private static String string(ByteBuffer in) {
        byte[] bytes = new byte[Short.toUnsignedInt(in.getShort())];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] sha256(byte[] data, int length) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(data, 0, length);
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The version of Chicory's parser and validator on the class path, from its Maven metadata. */
    static Optional<String> parserVersion() {
        return VersionedDirectory.versionOf(com.dylibso.chicory.wasm.Parser.class,
                "/META-INF/maven/com.dylibso.chicory/wasm/pom.properties");
    }
}
