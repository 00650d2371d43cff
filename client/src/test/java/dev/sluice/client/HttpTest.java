package dev.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The query pieces every usage call shares. */
class HttpTest {
    @Test
    void daysIsOmittedForTheServersDefaultAndOtherwiseItsOwnQuery() {
        assertEquals("", Http.days(OptionalInt.empty()));
        assertEquals("?days=7", Http.days(OptionalInt.of(7)));
    }
}
