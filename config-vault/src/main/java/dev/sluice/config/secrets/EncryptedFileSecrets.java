package dev.sluice.config.secrets;

import dev.sluice.config.AtomicFiles;
import dev.sluice.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Function secrets in the data directory, encrypted at rest with AES-256-GCM under a key from
 * {@code $SLUICE_SECRETS_KEY} (32 random bytes in base64): the embedded default when Vault is not configured.
 *
 * <p>One file per function, {@code <dir>/<owner>/<function>.secrets}, owner-only (directories too), replaced
 * atomically ({@link AtomicFiles}) on every write. A text header names the format and holds a check value derived
 * from the key, so a wrong key is told apart from a damaged file; then one line per secret: name, version, when it
 * was written, and the value encrypted with a fresh 96-bit nonce, with the owner, function, name and version bound
 * as associated data, so a value (or a whole file) copied to another function, name or version fails to decrypt.
 * What this protects against: a copy of the data directory (a backup, a disk, a snapshot) without the key reveals
 * no value, and a value cannot be moved to another tenant's function unnoticed. It does not protect against anyone
 * who can read the gateway's environment or memory.
 *
 * <p>Without a key, nothing can be written or listed ({@link SecretsException.Unavailable} saying to set
 * {@code SLUICE_SECRETS_KEY}), but a function without secrets runs ({@link #values} is empty) and deleting a
 * function removes its file: neither needs the key.
 *
 * <p>Thread-safe. The gateway's data directory is locked to one process, so this instance is the only writer: it
 * caches each function's file as read (values stay encrypted in memory, decrypted on each {@link #values} call), and
 * a function known to have no secrets costs no file access at all after its first call. Writes are serialized.
 */
public final class EncryptedFileSecrets implements FunctionSecrets {
    /** The environment variable holding the key. */
    public static final String KEY_VARIABLE = "SLUICE_SECRETS_KEY";

    private static final String MAGIC = "sluice-function-secrets";
    private static final String FORMAT = "1";
    private static final String SUFFIX = ".secrets";
    private static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    /** Owners (tenant uids) and function names as path components: never empty, {@code .}, {@code ..} or a path. */
    private static final Pattern COMPONENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final String NO_KEY = "function secrets need a key: the provider has to set " + KEY_VARIABLE
            + " (32 random bytes in base64) or configure Vault (vault-address)";

    private final Path dir;
    private final Optional<Keys> keys;
    private final InstantSource clock;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<Location, Stored> files = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();

    private EncryptedFileSecrets(Path dir, Optional<Keys> keys, InstantSource clock) {
        this.dir = dir;
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * Secrets under {@code dir} (created, owner-only, when first written), encrypted with {@code base64Key}; empty or
     * blank means no key configured.
     *
     * @throws ConfigException naming {@value #KEY_VARIABLE} when the key is not 32 bytes of base64 (never showing it)
     */
    public static EncryptedFileSecrets open(Path dir, Optional<String> base64Key, InstantSource clock) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(base64Key, "base64Key");
        Objects.requireNonNull(clock, "clock");
        return new EncryptedFileSecrets(dir, base64Key.filter(k -> !k.isBlank()).map(Keys::parse), clock);
    }

    /** Whether a key is configured (without one, only running and deleting functions without secrets works). */
    public boolean hasKey() {
        return keys.isPresent();
    }

    @Override
    public SecretVersion put(String owner, String function, SecretName name, SecretValue value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        Location at = locate(owner, function);
        Keys key = requireKey();
        synchronized (writeLock) {
            Stored current = readable(at, key);
            Optional<Entry> previous = current.find(name.value());
            if (previous.isEmpty() && current.entries().size() >= MAX_PER_FUNCTION) {
                throw new SecretsException.Invalid("secrets: function " + function + " holds "
                        + current.entries().size() + " (expected: at most " + MAX_PER_FUNCTION
                        + " per function; delete one first)");
            }
            long version = previous.map(e -> e.version() + 1).orElse(1L);
            Instant now = clock.instant();
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            byte[] sealed = key.seal(nonce, value.reveal().getBytes(StandardCharsets.UTF_8),
                    associated(at, name.value(), version));
            Entry entry = new Entry(name.value(), version, now, nonce, sealed);
            List<Entry> next = new ArrayList<>(current.entries());
            next.removeIf(e -> e.name().equals(name.value()));
            next.add(entry);
            write(at, new Stored(Optional.of(key.check()), next));
            return entry.shown();
        }
    }

    @Override
    public List<SecretVersion> list(String owner, String function) {
        Location at = locate(owner, function);
        return readable(at, requireKey()).entries().stream().map(Entry::shown).toList();
    }

    @Override
    public boolean delete(String owner, String function, SecretName name) {
        Objects.requireNonNull(name, "name");
        Location at = locate(owner, function);
        Keys key = requireKey();
        synchronized (writeLock) {
            Stored current = readable(at, key);
            if (current.find(name.value()).isEmpty()) {
                return false;
            }
            List<Entry> next = new ArrayList<>(current.entries());
            next.removeIf(e -> e.name().equals(name.value()));
            write(at, new Stored(current.check(), next));
            return true;
        }
    }

    /** Needs no key: a function deleted while none is configured takes its secrets with it all the same. */
    @Override
    public void deleteAll(String owner, String function) {
        Location at = locate(owner, function);
        synchronized (writeLock) {
            try {
                Files.deleteIfExists(at.file(dir));
                removeEmptyDirectory(at.file(dir).getParent());
            } catch (IOException e) {
                throw new SecretsException.Unavailable("the secrets of function " + function
                        + " cannot be removed now", e);
            } finally {
                files.remove(at);
            }
        }
    }

    @Override
    public Map<String, String> values(String owner, String function) {
        Location at = locate(owner, function);
        Stored stored = stored(at);
        if (stored.entries().isEmpty()) {
            return Map.of();
        }
        Keys key = keys.orElseThrow(() -> new SecretsException.Unavailable("function " + function
                + " has secrets, but they cannot be decrypted: " + NO_KEY, null));
        requireMatching(at, stored, key);
        Map<String, String> values = new LinkedHashMap<>();
        for (Entry entry : stored.entries()) {
            byte[] plain = key.open(entry.nonce(), entry.sealed(), associated(at, entry.name(), entry.version()))
                    .orElseThrow(() -> damaged(at, "a stored value fails its integrity check"));
            values.put(entry.name(), new String(plain, StandardCharsets.UTF_8));
            Arrays.fill(plain, (byte) 0);
        }
        return values;
    }

    @Override
    public String toString() {
        return "EncryptedFileSecrets[" + dir + (keys.isPresent() ? "" : ", no key") + "]";
    }

    private Keys requireKey() {
        return keys.orElseThrow(() -> new SecretsException.Unavailable(NO_KEY, null));
    }

    /** The function's file, with its key check verified against {@code key}. */
    private Stored readable(Location at, Keys key) {
        Stored stored = stored(at);
        requireMatching(at, stored, key);
        return stored;
    }

    private static void requireMatching(Location at, Stored stored, Keys key) {
        if (stored.check().isPresent() && !MessageDigest.isEqual(stored.check().get(), key.check())) {
            throw new SecretsException.Unavailable("the secrets of function " + at.function() + " cannot be "
                    + "decrypted: " + KEY_VARIABLE + " does not match the key they were written with", null);
        }
    }

    private Stored stored(Location at) {
        return files.computeIfAbsent(at, this::read);
    }

    private Stored read(Location at) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(at.file(dir));
        } catch (NoSuchFileException absent) {
            return Stored.NONE;
        } catch (IOException e) {
            throw new SecretsException.Unavailable("the secrets of function " + at.function()
                    + " cannot be read now", e);
        }
        return parse(at, new String(bytes, StandardCharsets.UTF_8));
    }

    private static Stored parse(Location at, String text) {
        String[] lines = text.split("\n");
        String[] header = lines[0].split(" ");
        if (header.length != 3 || !header[0].equals(MAGIC) || !header[1].equals(FORMAT)) {
            throw damaged(at, "not a secrets file of format " + FORMAT);
        }
        Base64.Decoder base64 = Base64.getDecoder();
        try {
            byte[] check = base64.decode(header[2]);
            List<Entry> entries = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                if (lines[i].isEmpty()) {
                    continue;
                }
                String[] fields = lines[i].split(" ");
                if (fields.length != 5) {
                    throw damaged(at, "line " + (i + 1) + " has " + fields.length + " fields (expected: 5)");
                }
                new SecretName(fields[0]); // a file edited by hand must not inject a reserved variable
                long version = Long.parseLong(fields[1]);
                if (version < 1) {
                    throw damaged(at, "line " + (i + 1) + " has version " + version);
                }
                entries.add(new Entry(fields[0], version, Instant.parse(fields[2]), base64.decode(fields[3]),
                        base64.decode(fields[4])));
            }
            return new Stored(Optional.of(check), entries);
        } catch (IllegalArgumentException | DateTimeParseException | SecretsException.Invalid e) {
            // The message of a malformed field never quotes the field: it may be (a part of) ciphertext.
            throw damaged(at, "a field is malformed (" + e.getClass().getSimpleName() + ")");
        }
    }

    private void write(Location at, Stored next) {
        Path file = at.file(dir);
        try {
            if (next.entries().isEmpty()) {
                Files.deleteIfExists(file);
                removeEmptyDirectory(file.getParent());
            } else {
                createOwnerOnly(file.getParent());
                AtomicFiles.writeOwnerOnly(file, next.render());
            }
        } catch (IOException e) {
            files.remove(at); // what is on disk now is uncertain: read it again next time
            throw new SecretsException.Unavailable("the secrets of function " + at.function()
                    + " cannot be written now", e);
        }
        files.put(at, next);
    }

    private void createOwnerOnly(Path directory) throws IOException {
        for (Path each : List.of(dir, directory)) {
            if (Files.isDirectory(each)) {
                continue;
            }
            try {
                Files.createDirectories(each, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createDirectories(each);
            }
        }
    }

    private static void removeEmptyDirectory(Path directory) {
        try {
            Files.deleteIfExists(directory);
        } catch (DirectoryNotEmptyException stillUsed) {
            // another function of the owner has secrets
        } catch (IOException e) {
            // an empty directory left behind costs nothing
        }
    }

    private static SecretsException.Unavailable damaged(Location at, String why) {
        return new SecretsException.Unavailable("the secrets of function " + at.function() + " are damaged ("
                + why + "); the provider has to restore or remove them", null);
    }

    private static byte[] associated(Location at, String name, long version) {
        return String.join("\0", MAGIC + "/" + FORMAT, at.owner(), at.function(), name, Long.toString(version))
                .getBytes(StandardCharsets.UTF_8);
    }

    private static Location locate(String owner, String function) {
        if (owner == null || !COMPONENT.matcher(owner).matches()) {
            throw new IllegalArgumentException("owner: not a tenant uid");
        }
        if (function == null || !COMPONENT.matcher(function).matches()) {
            throw new SecretsException.Invalid("function: not a function name");
        }
        return new Location(owner, function);
    }

    /** Where one function's secrets are. */
    private record Location(String owner, String function) {
        Path file(Path dir) {
            return dir.resolve(owner).resolve(function + SUFFIX);
        }
    }

    /** One stored secret, its value sealed. */
    private record Entry(String name, long version, Instant updatedAt, byte[] nonce, byte[] sealed) {
        SecretVersion shown() {
            return new SecretVersion(SecretName.of(name), version, updatedAt);
        }
    }

    /** A function's file as read or written: no check value when there is no file. */
    private record Stored(Optional<byte[]> check, List<Entry> entries) {
        static final Stored NONE = new Stored(Optional.empty(), List.of());

        Stored {
            entries = entries.stream().sorted(Comparator.comparing(Entry::name)).toList();
        }

        Optional<Entry> find(String name) {
            return entries.stream().filter(e -> e.name().equals(name)).findFirst();
        }

        byte[] render() {
            Base64.Encoder base64 = Base64.getEncoder();
            StringBuilder out = new StringBuilder(MAGIC).append(' ').append(FORMAT).append(' ')
                    .append(base64.encodeToString(check.orElseThrow())).append('\n');
            for (Entry e : entries) {
                out.append(e.name()).append(' ').append(e.version()).append(' ').append(e.updatedAt()).append(' ')
                        .append(base64.encodeToString(e.nonce())).append(' ')
                        .append(base64.encodeToString(e.sealed())).append('\n');
            }
            return out.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * What the configured key gives: the AES-256 key values are sealed with, and a check value stored in every file;
     * each derived from the configured key with HMAC-SHA256 under its own label, so neither reveals the other.
     */
    private static final class Keys {
        private final SecretKeySpec aes;
        private final byte[] check;

        private Keys(byte[] master) {
            this.aes = new SecretKeySpec(derive(master, "sluice function secrets: aes-256-gcm v1"), "AES");
            this.check = Arrays.copyOf(derive(master, "sluice function secrets: key check v1"), 16);
        }

        /** Never shows the text: a key that is almost right is still a secret. */
        static Keys parse(String base64) {
            byte[] raw;
            try {
                raw = Base64.getDecoder().decode(base64.strip());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(KEY_VARIABLE + ": not base64 (expected: " + KEY_BYTES
                        + " random bytes in base64, as `openssl rand -base64 32` prints)");
            }
            try {
                if (raw.length != KEY_BYTES) {
                    throw new ConfigException(KEY_VARIABLE + ": " + raw.length + " bytes (expected: " + KEY_BYTES
                            + " random bytes in base64, as `openssl rand -base64 32` prints)");
                }
                return new Keys(raw);
            } finally {
                Arrays.fill(raw, (byte) 0);
            }
        }

        byte[] check() {
            return check.clone();
        }

        byte[] seal(byte[] nonce, byte[] plain, byte[] associated) {
            try {
                Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                cipher.init(Cipher.ENCRYPT_MODE, aes, new GCMParameterSpec(TAG_BITS, nonce));
                cipher.updateAAD(associated);
                return cipher.doFinal(plain);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("every JDK has AES/GCM/NoPadding", e);
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        }

        /** Empty when the value fails its tag: damaged, or sealed for another function, name or version. */
        Optional<byte[]> open(byte[] nonce, byte[] sealed, byte[] associated) {
            if (nonce.length != NONCE_BYTES || sealed.length < TAG_BITS / 8) {
                return Optional.empty();
            }
            try {
                Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                cipher.init(Cipher.DECRYPT_MODE, aes, new GCMParameterSpec(TAG_BITS, nonce));
                cipher.updateAAD(associated);
                return Optional.of(cipher.doFinal(sealed));
            } catch (AEADBadTagException e) {
                return Optional.empty();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("every JDK has AES/GCM/NoPadding", e);
            }
        }

        private static byte[] derive(byte[] master, String label) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(master, "HmacSHA256"));
                return mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("every JDK has HmacSHA256", e);
            }
        }

        @Override
        public String toString() {
            return "Keys[***]";
        }
    }
}
