package dev.sluice.loadtest.wasi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A ustar archive of a directory tree (directories and regular files; symbolic links and anything else left out, as
 * the assets API would refuse them), in memory: a test's {@code root} is a few files. Paths are relative, sorted, at
 * most 100 bytes (ustar's name field; the suite's are far shorter).
 */
final class Tar {
    private static final int BLOCK = 512;

    private Tar() {}

    static byte[] of(Path root) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Path> entries;
        try (Stream<Path> walk = Files.walk(root)) {
            entries = walk.filter(p -> !p.equals(root)).sorted().toList();
        }
        for (Path p : entries) {
            String name = root.relativize(p).toString().replace('\\', '/');
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                out.write(header(name + "/", 0, '5'));
            } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                byte[] content = Files.readAllBytes(p);
                out.write(header(name, content.length, '0'));
                out.write(content);
                out.write(new byte[(BLOCK - content.length % BLOCK) % BLOCK]);
            }
        }
        out.write(new byte[2 * BLOCK]);
        return out.toByteArray();
    }

    private static byte[] header(String name, long size, char type) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 100) {
            throw new IllegalArgumentException(name + ": longer than ustar's 100-byte name");
        }
        byte[] h = new byte[BLOCK];
        System.arraycopy(bytes, 0, h, 0, bytes.length);
        put(h, 100, String.format("%07o", type == '5' ? 0755 : 0644));
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", size));
        put(h, 136, "00000000000");
        h[156] = (byte) type;
        put(h, 257, "ustar");
        put(h, 263, "00");
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

    private static void put(byte[] header, int at, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, at, bytes.length);
    }
}
