package dev.sluice.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archives {@link TarWriter} writes, read back by GNU tar (an independent reader), byte for byte. */
class TarWriterTest {
    @TempDir
    Path dir;

    @Test
    void gnuTarReadsBackEveryFileAndDirectoryWithLongAndUnicodeNames() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(root.resolve("index.html"), "<h1>hi</h1>");
        Files.createDirectories(root.resolve("empty"));
        // 120 bytes: past ustar's 100-byte name, within its prefix + name.
        Path prefixed = root.resolve("d".repeat(60)).resolve("f".repeat(59));
        // 300 bytes: past ustar's 255, so a PAX path record.
        Path pax = root.resolve("p".repeat(200)).resolve("q".repeat(99));
        Path unicode = root.resolve("ünïcødé").resolve("数据.txt");
        byte[] binary = new byte[70_000];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31);
        }
        for (Path p : List.of(prefixed, pax, unicode)) {
            Files.createDirectories(p.getParent());
            Files.write(p, binary);
        }
        Files.write(root.resolve("zero"), new byte[0]);
        Files.write(root.resolve("block"), new byte[512]);

        Path tar = dir.resolve("a.tar");
        try (var out = Files.newOutputStream(tar)) {
            TarWriter.write(root, out);
        }
        assertEquals(0, Files.size(tar) % 512);
        Path back = Files.createDirectories(dir.resolve("back"));
        run("tar", "-xf", tar.toString(), "-C", back.toString());
        assertEquals(tree(root), tree(back));
        for (Path p : List.of(prefixed, pax, unicode)) {
            assertArrayEquals(binary, Files.readAllBytes(back.resolve(root.relativize(p))), p.toString());
        }
        assertEquals("<h1>hi</h1>", Files.readString(back.resolve("index.html")));
        assertTrue(Files.isDirectory(back.resolve("empty")));
    }

    @Test
    void theSameTreeGivesTheSameBytes() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(root.resolve("b"), "b");
        Files.writeString(root.resolve("a"), "a");
        byte[] first = archive(root);
        Files.setLastModifiedTime(root.resolve("a"), java.nio.file.attribute.FileTime.fromMillis(0));
        assertArrayEquals(first, archive(root));
    }

    @Test
    void aLinkIsRefusedByName() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(root.resolve("real"), "x");
        Files.createSymbolicLink(root.resolve("link"), Path.of("/etc/passwd"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> archive(root));
        assertTrue(e.getMessage().contains("link") && e.getMessage().contains("symbolic link"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> archive(root.resolve("real")));
    }

    private static byte[] archive(Path root) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarWriter.write(root, out);
        return out.toByteArray();
    }

    private static List<String> tree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.map(p -> root.relativize(p).toString() + (Files.isDirectory(p) ? "/" : ""))
                    .sorted().toList();
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "tar did not finish");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);
    }
}
