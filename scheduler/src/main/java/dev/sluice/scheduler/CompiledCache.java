package dev.sluice.scheduler;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import dev.sluice.config.AtomicFiles;
import dev.sluice.scheduler.fuel.FuelInstrumenter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compiled modules on disk, so a restart loads classes instead of compiling: {@code <dataDir>/compiled/<version>/
 * <algo>-<hex>.jar}, where the key is Chicory's digest of the instrumented module and {@code <version>} names the
 * Chicory release and the {@link FuelInstrumenter#VERSION instrumenter version} that produced it. A change of
 * either starts an empty directory (the old one is swept at the next open), so stale bytecode is never loaded.
 *
 * <p>Each file is {@code MAGIC, key, SHA-256 of the payload, payload} (the payload is Chicory's jar of classes),
 * written with {@link AtomicFiles}. An entry that is unreadable, truncated or fails its checksum is deleted and
 * reported as a miss: the module is compiled again, never rejected.
 *
 * <p>Thread-safe: entries are immutable files published by atomic rename; concurrent writers of one key write
 * identical content.
 */
final class CompiledCache implements Cache {
    private static final System.Logger LOG = System.getLogger(CompiledCache.class.getName());
    private static final byte[] MAGIC = "sluice-compiled-1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int CHECKSUM_BYTES = 32;

    private final VersionedDirectory files;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong corrupt = new AtomicLong();

    private CompiledCache(Path root, Optional<String> version) {
        this.files = new VersionedDirectory(root, version, LOG);
    }

    /** The cache under {@code <dataDir>/compiled}; disabled (every lookup a miss) if Chicory's version is unknown. */
    static CompiledCache open(Path dataDir) {
        Optional<String> chicory = chicoryVersion();
        if (chicory.isEmpty()) {
            LOG.log(Level.WARNING, "cannot tell the Chicory compiler's version: compiled modules are not cached on "
                    + "disk, so every start compiles again");
        }
        return new CompiledCache(dataDir.resolve("compiled"),
                chicory.map(v -> "chicory-" + v + "+fuel-" + FuelInstrumenter.VERSION));
    }

    @Override
    public byte[] get(String key) {
        Optional<Path> file = file(key);
        if (file.isEmpty()) {
            return null;
        }
        byte[] stored;
        try {
            stored = Files.readAllBytes(file.get());
        } catch (NoSuchFileException e) {
            misses.incrementAndGet();
            return null;
        } catch (IOException e) {
            discard(file.get(), "cannot be read: " + e);
            return null;
        }
        byte[] payload = unwrap(key, stored);
        if (payload == null) {
            discard(file.get(), "is corrupt");
            return null;
        }
        hits.incrementAndGet();
        return payload;
    }

    @Override
    public void putIfAbsent(String key, byte[] data) {
        Optional<Path> file = file(key);
        if (file.isEmpty() || Files.isRegularFile(file.get())) {
            return;
        }
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + keyBytes.length + CHECKSUM_BYTES + data.length);
        out.put(MAGIC).putInt(keyBytes.length).put(keyBytes).put(sha256(data)).put(data);
        try {
            AtomicFiles.write(file.get(), out.array());
            writes.incrementAndGet();
        } catch (ClosedByInterruptException e) {
            // The module cache closed (it interrupts its compile threads) while this write ran: not a fault, and the
            // interrupt status is set again by the channel, so the compile thread still sees it.
            LOG.log(Level.DEBUG, "compiled module " + file.get() + " not written: interrupted by shutdown");
        } catch (IOException e) {
            // Only costs a compile at the next start.
            LOG.log(Level.WARNING, "cannot write compiled module " + file.get() + ": " + e);
        }
    }

    /** Deletes the entry of {@code key} as corrupt, e.g. after Chicory failed to load it. Best effort. */
    void invalidate(String key, String why) {
        file(key).ifPresent(f -> {
            corrupt.incrementAndGet();
            LOG.log(Level.WARNING, "compiled module " + f + " " + why + "; compiling the module again");
            VersionedDirectory.deleteQuietly(f);
        });
    }

    /** Deletes the entry of {@code key}: its module is no longer used. Best effort. */
    void remove(String key) {
        file(key).ifPresent(VersionedDirectory::deleteQuietly);
    }

    /**
     * Deletes the entries not in {@code keep} (Chicory digests of the modules in use) written before
     * {@code writtenBefore}, and the directories of other Chicory or instrumenter versions. Safe while compiles run:
     * anything written since the sweep began (a deploy's or a first call's compile) is newer and stays. Disabled:
     * nothing, as nothing is read from it either. Best effort.
     */
    void sweep(Set<String> keep, FileTime writtenBefore) {
        if (!files.enabled()) {
            return;
        }
        Set<Path> wanted = new java.util.HashSet<>();
        keep.forEach(k -> file(k).ifPresent(wanted::add));
        files.sweep(p -> !wanted.contains(p) && writtenBefore(p, writtenBefore));
    }

    private static boolean writtenBefore(Path file, FileTime time) {
        try {
            return Files.getLastModifiedTime(file).compareTo(time) < 0;
        } catch (IOException gone) {
            return false; // deleted meanwhile
        }
    }

    /** Lookups that found a valid entry (a module loaded instead of compiled). */
    long hits() {
        return hits.get();
    }

    /** Lookups that found no entry, or an invalid one. */
    long misses() {
        return misses.get();
    }

    /** Entries written (one per compile that had a key). */
    long writes() {
        return writes.get();
    }

    /** Entries found corrupt and discarded. */
    long corrupt() {
        return corrupt.get();
    }

    /** Where the entry of {@code key} lives; empty when the cache is disabled or the key is not a digest. */
    Optional<Path> file(String key) {
        if (key == null) {
            return Optional.empty();
        }
        int colon = key.indexOf(':');
        if (colon <= 0) {
            return Optional.empty();
        }
        String algo = key.substring(0, colon).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        try {
            byte[] hash = Base64.getDecoder().decode(key.substring(colon + 1));
            if (algo.isEmpty() || hash.length < 16) {
                return Optional.empty();
            }
            return files.file(algo + "-" + HexFormat.of().formatHex(hash) + ".jar");
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private void discard(Path file, String why) {
        corrupt.incrementAndGet();
        misses.incrementAndGet();
        LOG.log(Level.WARNING, "compiled module " + file + " " + why + "; compiling the module again");
        VersionedDirectory.deleteQuietly(file);
    }

    /** The payload, or null when {@code stored} is not a complete, intact entry for {@code key}. */
    private static byte[] unwrap(String key, byte[] stored) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        int header = MAGIC.length + 4 + keyBytes.length + CHECKSUM_BYTES;
        if (stored.length < header || !Arrays.equals(stored, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(stored, MAGIC.length, stored.length - MAGIC.length);
        if (in.getInt() != keyBytes.length) {
            return null;
        }
        int at = MAGIC.length + 4;
        if (!Arrays.equals(stored, at, at + keyBytes.length, keyBytes, 0, keyBytes.length)) {
            return null;
        }
        at += keyBytes.length;
        byte[] payload = Arrays.copyOfRange(stored, header, stored.length);
        if (!Arrays.equals(stored, at, at + CHECKSUM_BYTES, sha256(payload), 0, CHECKSUM_BYTES)) {
            return null;
        }
        return payload;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * The version of the Chicory compiler on the class path: Sluice's fork (chicory-compiler/), whose version, such
     * as {@code 1.7.5-sluice.1}, names it, so code compiled by upstream Chicory (or another fork release) is never
     * loaded.
     */
    static Optional<String> chicoryVersion() {
        return VersionedDirectory.versionOf(MachineFactoryCompiler.class,
                "/META-INF/sluice/chicory-compiler.properties");
    }
}
