package dev.sluice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TableTest {
    @Test
    void columnsAlignToTheWidestCellAndNumbersToTheRight() {
        String table = Table.of("NAME", ">SIZE", "DEPLOYED-AT")
                .row("hello", "1.2 KiB", "2026-01-01T00:00:00Z")
                .row("a-much-longer-name", "12 B", "2026-01-02T00:00:00Z")
                .render(false);
        assertEquals("""
                NAME                   SIZE  DEPLOYED-AT
                hello               1.2 KiB  2026-01-01T00:00:00Z
                a-much-longer-name     12 B  2026-01-02T00:00:00Z
                """, table);
    }

    @Test
    void noTrailingBlanksAndNullShowsAsADash() {
        String table = Table.of("A", "B").row("long value", "").row(null, "x").render(false);
        assertEquals("A           B\nlong value\n-           x\n", table);
    }

    @Test
    void anEmptyTableIsItsHeader() {
        assertEquals("NAME  SIZE\n", Table.of("NAME", "SIZE").render(false));
    }

    @Test
    void controlCharactersFromTheServerCannotMoveTheCursor() {
        String table = Table.of("NAME", "NOTE").row("x", "a\u001b[2Jb\nc").render(false);
        assertEquals("NAME  NOTE\nx     a [2Jb c\n", table);
    }

    @Test
    void widthCountsCharactersNotBytes() {
        assertEquals("N      V\nnaïve  1\nab     2\n", Table.of("N", "V").row("naïve", 1).row("ab", 2).render(false));
    }

    @Test
    void boldHeadersOnlyWhenAsked() {
        assertEquals("\u001b[1mA\u001b[0m\nx\n", Table.of("A").row("x").render(true));
    }

    @Test
    void aRowMustHaveOneCellPerColumn() {
        var e = assertThrows(IllegalArgumentException.class, () -> Table.of("A", "B").row("x"));
        assertEquals("cells: 1 (expected: 2)", e.getMessage());
    }

    @Test
    void sizesReadForPeople() {
        assertEquals("512 B", Units.bytes(512));
        assertEquals("2.0 MiB", Units.bytes(2 * 1024 * 1024));
        assertEquals("16 MiB", Units.bytes(16L * 1024 * 1024));
        assertEquals("sha256:0123456789ab", Units.shortDigest("sha256:0123456789abcdef"));
    }
}
