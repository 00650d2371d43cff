package dev.sluice.scheduler.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The values the assets side fills from plan limits: out-of-range numbers are refused with the limit's name. */
class ScratchLimitsTest {
    @Test
    void outOfRangeLimitsNameTheirKeyAndRange() {
        assertEquals("scratch-bytes: -5 (expected: 0..268435456)",
                assertThrows(IllegalArgumentException.class, () -> new ScratchLimits(-5, 1)).getMessage());
        assertEquals("scratch-inodes: 100001 (expected: 0..100000)",
                assertThrows(IllegalArgumentException.class, () -> new ScratchLimits(1, 100_001)).getMessage());
    }

    @Test
    void noneGrantsNothingAndAnyDirectoryCounts() {
        assertFalse(FunctionFiles.NONE.any());
        assertFalse(ScratchLimits.NONE.granted());
        assertTrue(new FunctionFiles(Optional.empty(), new ScratchLimits(1, 0)).any());
        assertTrue(new FunctionFiles(Optional.of(Path.of("assets")), ScratchLimits.NONE).any());
        assertTrue(new FunctionFiles(Optional.of(Path.of("assets")), ScratchLimits.NONE).assets().get().isAbsolute());
    }
}
