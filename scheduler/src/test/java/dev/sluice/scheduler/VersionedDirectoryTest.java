package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file handling both disk caches share: where entries live, atomic writes, and the sweep. */
class VersionedDirectoryTest {
    private static final System.Logger LOG = System.getLogger(VersionedDirectoryTest.class.getName());

    @TempDir
    Path root;

    @Test
    void sweepKeepsOnlyThisVersionsWantedEntries() throws IOException {
        var files = new VersionedDirectory(root, Optional.of("v2"), LOG);
        Path kept = files.file("kept.bin").orElseThrow();
        Path unwanted = files.file("unwanted.bin").orElseThrow();
        assertTrue(files.writeAtomically(kept, new byte[] {1}, "entry"));
        assertTrue(files.writeAtomically(unwanted, new byte[] {2}, "entry"));
        Path older = Files.createDirectories(root.resolve("v1"));
        Files.write(older.resolve("kept.bin"), new byte[] {3}); // same name, other version: never read, so swept

        files.sweep(p -> !p.equals(kept));

        assertEquals(List.of(root.resolve("v2"), kept), tree());
        assertArrayEquals(new byte[] {1}, Files.readAllBytes(kept));
    }

    @Test
    void disabledHasNoFilesAndItsSweepEmptiesTheRoot() throws IOException {
        var files = new VersionedDirectory(root, Optional.empty(), LOG);
        Files.write(Files.createDirectories(root.resolve("v1")).resolve("a.bin"), new byte[] {1});

        files.sweep(p -> false);

        assertEquals(Optional.empty(), files.file("a.bin"));
        assertEquals(List.of(), tree());
    }

    @Test
    void aFailedWriteSaysSoAndLeavesNoTemporaryFile() throws IOException {
        var files = new VersionedDirectory(root, Optional.of("v1"), LOG);
        Files.write(root.resolve("v1"), new byte[] {0}); // the version directory cannot be created

        assertFalse(files.writeAtomically(files.file("a.bin").orElseThrow(), new byte[] {1}, "entry"));
        assertEquals(List.of(root.resolve("v1")), tree());
    }

    /** Everything under the root, sorted. */
    private List<Path> tree() throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(p -> !p.equals(root)).sorted().toList();
        }
    }
}
