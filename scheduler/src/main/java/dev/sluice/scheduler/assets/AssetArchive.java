package dev.sluice.scheduler.assets;

import dev.sluice.scheduler.SchedulerException.AssetsRejected;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Reads an uploaded asset tar (ustar, pax or GNU long names; commons-compress' {@code TarArchiveInputStream}, which
 * checks each header's checksum and reports a truncated archive) into a directory, refusing anything but plain files
 * and directories under the root, within the plan's limits. Writes the canonical archive of a tree, whose SHA-256 is
 * the tree's digest.
 *
 * <p>Bounded: the body is read through a counter that refuses ({@code too-large}) once it passes what an archive
 * within the limits could be, and every entry's declared size is checked against what is left of
 * {@code max-asset-bytes} before its data is read; nothing is buffered but the reader's own 512-byte records.
 * A gzip-compressed tar is refused as {@code malformed}: decompressing would need its own ratio bound, and a tar
 * compresses on the wire with HTTP's {@code Content-Encoding} no better.
 */
public final class AssetArchive {
    static final int MAX_PATH_BYTES = 1024;
    static final int MAX_COMPONENT_BYTES = 255;

    private AssetArchive() {}

    /** What {@link #unpack} wrote. */
    record Unpacked(long files, long bytes) {}

    /**
     * Unpacks {@code body} into the empty directory {@code target}.
     *
     * @throws AssetsRejected naming the first rule the archive breaks (then {@code target} holds a part of it: the
     *                        caller deletes it)
     * @throws UncheckedIOException when {@code target} cannot be written
     */
    static Unpacked unpack(InputStream body, AssetLimits limits, Path target) {
        Bounded bounded = new Bounded(body, limits.maxArchiveBytes());
        // No read-ahead buffer: the tar reader's reads reach the counter as they are, so its end is the archive's.
        PushbackInputStream in = new PushbackInputStream(bounded, 2);
        try {
            int first = in.read();
            int second = first < 0 ? -1 : in.read();
            if (second >= 0) {
                in.unread(second);
            }
            if (first >= 0) {
                in.unread(first);
            }
            if (first < 0) {
                throw rejected(AssetRejection.MALFORMED, "the body is empty (expected: a tar archive)");
            }
            if (first == 0x1f && second == 0x8b) {
                throw rejected(AssetRejection.MALFORMED,
                        "gzip-compressed archives are not accepted (send the tar itself)");
            }
            Unpacked unpacked = entries(new TarArchiveInputStream(in, "UTF-8"), limits, target);
            // The reader takes a short last record for the end of the archive: a body cut anywhere but inside an
            // entry's data (which the reader reports) shows as a body that ended without the zero end block.
            if (bounded.ended && bounded.trailingZeros < 512) {
                throw rejected(AssetRejection.MALFORMED, "the archive ends without its end-of-archive block "
                        + "(truncated)");
            }
            return unpacked;
        } catch (IOException e) {
            throw rejected(AssetRejection.MALFORMED, "not a readable tar archive: " + e.getMessage());
        }
    }

    private static Unpacked entries(TarArchiveInputStream tar, AssetLimits limits, Path target) throws IOException {
        Set<String> files = new HashSet<>();
        Set<String> dirs = new HashSet<>();
        Set<String> declaredDirs = new HashSet<>();
        long bytes = 0;
        boolean any = false;
        for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
            any = true;
            String raw = entry.getName();
            String kind = forbiddenKind(entry);
            if (kind != null) {
                throw rejected(AssetRejection.FORBIDDEN_ENTRY, shown(raw) + ": a " + kind
                        + " (expected: regular files and directories only)");
            }
            String path = checkedPath(raw);
            if (path.isEmpty()) {
                continue; // "./": the root itself
            }
            List<String> parts = List.of(path.split("/"));
            StringBuilder parent = new StringBuilder();
            for (int i = 0; i < parts.size() - 1; i++) {
                parent.append(i == 0 ? "" : "/").append(parts.get(i));
                String p = parent.toString();
                if (files.contains(p)) {
                    throw rejected(AssetRejection.MALFORMED, shown(raw) + ": " + shown(p) + " is a file");
                }
                if (dirs.add(p)) {
                    count(files, dirs, limits);
                }
            }
            Path host = target.resolve(path);
            if (entry.isDirectory()) {
                if (files.contains(path) || !declaredDirs.add(path)) {
                    throw rejected(AssetRejection.MALFORMED, shown(raw) + ": a duplicate path");
                }
                if (dirs.add(path)) {
                    count(files, dirs, limits);
                }
                Files.createDirectories(host);
                continue;
            }
            if (files.contains(path) || dirs.contains(path)) {
                throw rejected(AssetRejection.MALFORMED, shown(raw) + ": a duplicate path");
            }
            files.add(path);
            count(files, dirs, limits);
            long size = entry.getSize();
            if (size < 0 || size > limits.maxBytes() - bytes) {
                throw rejected(AssetRejection.TOO_LARGE, shown(raw) + ": " + size + " bytes, over what is left of "
                        + "max-asset-bytes (" + limits.maxBytes() + ")");
            }
            Files.createDirectories(host.getParent());
            long written;
            try (OutputStream out = Files.newOutputStream(host, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                written = tar.transferTo(out);
            }
            if (written != size) {
                throw rejected(AssetRejection.MALFORMED, shown(raw) + ": " + written + " bytes of the " + size
                        + " its header declares (truncated)");
            }
            bytes += size;
        }
        if (!any) {
            throw rejected(AssetRejection.MALFORMED, "no entries (expected: a tar archive)");
        }
        return new Unpacked(files.size() + dirs.size(), bytes);
    }

    private static void count(Set<String> files, Set<String> dirs, AssetLimits limits) {
        if (files.size() + dirs.size() > limits.maxFiles()) {
            throw rejected(AssetRejection.TOO_MANY_FILES, "more than max-asset-files (" + limits.maxFiles()
                    + ") entries, directories included");
        }
    }

    /** What an entry is when it is neither a regular file nor a directory, else null. */
    private static String forbiddenKind(TarArchiveEntry entry) {
        if (entry.isSymbolicLink()) {
            return "symbolic link";
        }
        if (entry.isLink()) {
            return "hard link";
        }
        if (entry.isCharacterDevice() || entry.isBlockDevice()) {
            return "device";
        }
        if (entry.isFIFO()) {
            return "fifo";
        }
        if (entry.isDirectory()) {
            return null;
        }
        byte flag = entry.getLinkFlag();
        if (entry.isSparse() || (flag != TarConstants.LF_NORMAL && flag != TarConstants.LF_OLDNORM
                && flag != TarConstants.LF_CONTIG)) {
            return "special entry (type '" + (char) flag + "')";
        }
        return null;
    }

    /**
     * The entry's path relative to the root, without a leading {@code ./} and a directory's trailing {@code /}
     * (empty for the root itself), or the rule it breaks.
     */
    static String checkedPath(String raw) {
        if (raw.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw rejected(AssetRejection.PATH_TOO_LONG, "a path of " + raw.getBytes(StandardCharsets.UTF_8).length
                    + " bytes (expected: <= " + MAX_PATH_BYTES + ")");
        }
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw rejected(AssetRejection.MALFORMED, shown(raw) + ": a control character in the name");
            }
        }
        if (raw.startsWith("/")) {
            throw rejected(AssetRejection.ESCAPES_ROOT, shown(raw) + ": an absolute path");
        }
        String path = raw;
        while (path.startsWith("./")) {
            path = path.substring(2);
        }
        if (path.equals(".")) {
            path = "";
        }
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.isEmpty()) {
            return path;
        }
        for (String part : path.split("/", -1)) {
            if (part.equals("..")) {
                throw rejected(AssetRejection.ESCAPES_ROOT, shown(raw) + ": a '..' component");
            }
        }
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".")) {
                throw rejected(AssetRejection.MALFORMED, shown(raw) + ": an empty or '.' component");
            }
            if (part.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
                throw rejected(AssetRejection.PATH_TOO_LONG, shown(raw) + ": a component of "
                        + part.getBytes(StandardCharsets.UTF_8).length + " bytes (expected: <= "
                        + MAX_COMPONENT_BYTES + ")");
            }
        }
        return path;
    }

    /**
     * Writes the canonical archive of the tree under {@code root}: its entries sorted by path, directories with a
     * trailing {@code /}, pax headers for long names, modes 0755 and 0644, owner 0 and time 0. The same files give
     * the same bytes, so its SHA-256 names the tree; it is also what a shared module store keeps for workers.
     */
    static void canonical(Path root, OutputStream out) throws IOException {
        TreeMap<String, Path> entries = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            all.filter(p -> !p.equals(root)).forEach(p -> {
                String name = root.relativize(p).toString().replace('\\', '/');
                entries.put(Files.isDirectory(p) ? name + "/" : name, p);
            });
        }
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        for (var e : entries.entrySet()) {
            boolean dir = e.getKey().endsWith("/");
            TarArchiveEntry entry = new TarArchiveEntry(e.getKey(), dir ? TarConstants.LF_DIR : TarConstants.LF_NORMAL);
            entry.setModTime(0);
            entry.setMode(dir ? 040755 : 0100644);
            entry.setSize(dir ? 0 : Files.size(e.getValue()));
            tar.putArchiveEntry(entry);
            if (!dir) {
                Files.copy(e.getValue(), tar);
            }
            tar.closeArchiveEntry();
        }
        tar.finish();
        tar.flush();
    }

    /** A name as shown in a message: quoted, at most 80 characters, control characters escaped. */
    private static String shown(String name) {
        StringBuilder b = new StringBuilder("'");
        name.codePoints().limit(80).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append(name.length() > 80 ? "…'" : "'").toString();
    }

    static AssetsRejected rejected(AssetRejection reason, String message) {
        return new AssetsRejected(reason, message);
    }

    /** Refuses ({@code too-large}) as soon as more than {@code max} bytes were read: the body is never drained. */
    private static final class Bounded extends FilterInputStream {
        private final long max;
        private long read;
        /** Whether the body's end was reached, and how many zero bytes it ended with. */
        boolean ended;
        long trailingZeros;

        Bounded(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                counted(1);
                trailingZeros = b == 0 ? trailingZeros + 1 : 0;
            } else {
                ended = true;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, (int) Math.min(length, max - read + 1));
            if (n > 0) {
                counted(n);
                int zeros = 0;
                while (zeros < n && buffer[offset + n - 1 - zeros] == 0) {
                    zeros++;
                }
                trailingZeros = zeros == n ? trailingZeros + n : zeros;
            } else if (n < 0) {
                ended = true;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(Math.min(n, max - read + 1));
            counted(skipped);
            if (skipped > 0) {
                trailingZeros = 0; // skipped padding or data: not the end block
            }
            return skipped;
        }

        private void counted(long n) {
            read += n;
            if (read > max) {
                throw rejected(AssetRejection.TOO_LARGE, "the archive is over " + max + " bytes, the most "
                        + "max-asset-bytes and max-asset-files allow with headers");
            }
        }
    }
}
