package dev.sluice.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes a directory tree as a POSIX tar (ustar, with a PAX {@code path} record for a name over ustar's fields), the
 * form {@code PUT /v1/functions/{name}/assets} takes. Streams: one file's bytes at a time, never the tree in memory.
 * Entries are sorted by path and carry no owner, time or mode beyond 0755/0644, so the same tree gives the same bytes.
 * Only directories and regular files go in; anything else (a symbolic link, a device, a socket) is refused here, by
 * name, rather than left out silently or refused by the server without saying which.
 */
public final class TarWriter {
    private static final int BLOCK = 512;
    private static final int NAME = 100;
    private static final int PREFIX = 155;

    private TarWriter() {}

    /**
     * Writes {@code root}'s contents (not {@code root} itself) to {@code out}.
     *
     * @throws IllegalArgumentException when {@code root} is not a directory or holds something other than files and
     *                                  directories
     */
    public static void write(Path root, OutputStream out) throws IOException {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(root + ": not a directory");
        }
        List<Path> entries;
        try (Stream<Path> walk = Files.walk(root)) {
            entries = walk.filter(p -> !p.equals(root)).sorted().toList();
        }
        for (Path p : entries) {
            String name = root.relativize(p).toString().replace('\\', '/');
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                entry(out, name + "/", 0, '5');
            } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                long size = Files.size(p);
                entry(out, name, size, '0');
                long copied;
                try (InputStream in = Files.newInputStream(p)) {
                    copied = in.transferTo(out);
                }
                if (copied != size) {
                    throw new IOException(p + ": changed while archived (" + size + " bytes, then " + copied + ")");
                }
                pad(out, size);
            } else {
                throw new IllegalArgumentException(p + ": " + (Files.isSymbolicLink(p) ? "a symbolic link"
                        : "not a regular file") + " (assets hold only files and directories)");
            }
        }
        out.write(new byte[2 * BLOCK]);
    }

    private static void entry(OutputStream out, String name, long size, char type) throws IOException {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int split = split(bytes);
        if (split < 0) {
            // Too long for ustar's prefix and name fields: a PAX extended header carries the whole path.
            byte[] record = pax("path", name);
            out.write(header("PaxHeader".getBytes(StandardCharsets.US_ASCII), new byte[0], record.length, 'x'));
            out.write(record);
            pad(out, record.length);
            out.write(header(truncated(bytes), new byte[0], size, type));
            return;
        }
        byte[] prefix = new byte[split];
        System.arraycopy(bytes, 0, prefix, 0, split);
        byte[] rest = new byte[bytes.length - (split == 0 ? 0 : split + 1)];
        System.arraycopy(bytes, bytes.length - rest.length, rest, 0, rest.length);
        out.write(header(rest, prefix, size, type));
    }

    /** Where to cut {@code name} into ustar's prefix and name at a slash: 0 if it fits whole, -1 if it cannot. */
    private static int split(byte[] name) {
        if (name.length <= NAME) {
            return 0;
        }
        for (int i = Math.min(PREFIX, name.length - 1); i > 0; i--) {
            if (name[i] == '/' && name.length - i - 1 <= NAME && name.length - i - 1 > 0) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] truncated(byte[] name) {
        byte[] cut = new byte[Math.min(NAME, name.length)];
        System.arraycopy(name, 0, cut, 0, cut.length);
        return cut;
    }

    /** One PAX record, {@code "<length> key=value\n"}, whose length counts its own digits. */
    private static byte[] pax(String key, String value) {
        int body = (" " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8).length;
        int length = body + String.valueOf(body).length();
        if (String.valueOf(length).length() != String.valueOf(body).length()) {
            length++;
        }
        return (length + " " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] header(byte[] name, byte[] prefix, long size, char type) {
        byte[] h = new byte[BLOCK];
        System.arraycopy(name, 0, h, 0, name.length);
        put(h, 100, String.format("%07o", type == '5' ? 0755 : 0644));
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", size));
        put(h, 136, "00000000000");
        h[156] = (byte) type;
        put(h, 257, "ustar");
        put(h, 263, "00");
        System.arraycopy(prefix, 0, h, 345, prefix.length);
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        return h;
    }

    private static void pad(OutputStream out, long size) throws IOException {
        out.write(new byte[(int) ((BLOCK - size % BLOCK) % BLOCK)]);
    }

    private static void put(byte[] header, int at, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, at, bytes.length);
    }
}
