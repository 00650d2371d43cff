package dev.sluice.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading h2load's per-request log ({@code --log-file}) into the same figures as this tool's. */
class H2LoadTest {
    @Test
    void logLinesBecomeLatenciesAndErrorsByStatusAndMissingRequestsAreErrors() {
        List<String> lines = List.of(
                "1700000000000000\t200\t1500",
                "1700000000100000\t200\t2500",
                "1700000000200000\t429\t900",
                "1700000000300000\t-1\t40000",
                "");
        LoadResult result = H2Load.parse("h2load", 10, 2, Duration.ofSeconds(1), 5, lines);

        assertEquals(5, result.count(), "the log's four requests and the one it never logged");
        assertEquals(Map.of("429", 1L, "-1", 1L, "no-log-line", 1L), result.errors());
        assertEquals(3, result.latencies().getTotalCount(), "requests without a response have no latency");
        assertEquals(2.5, result.millis(100), 0.01);
        assertEquals(0.9, result.latencies().getMinValue() / 1000.0, 0.01);
        // From the first start to the last end: 0.3 s + 40 ms.
        assertEquals(0.34, result.seconds(), 0.001);
    }

    @Test
    void aMalformedLineIsRefusedWithWhatWasExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> H2Load.parse("h2load", 10, 2, Duration.ofSeconds(1), 1, List.of("garbage")));
        assertEquals("h2load log line: 'garbage' (expected: start, status, µs)", e.getMessage());
    }
}
