package dev.sluice.loadtest.wasi;

import java.util.Objects;

/**
 * A test's outcome: {@code outcome} is its class in the report, {@code observed} what actually happened (the same,
 * or the failure behind a {@code needs-*} class), {@code detail} the reason in one line (empty when it passed).
 */
record WasiResult(WasiTest test, Outcome outcome, Outcome observed, String detail) {
    WasiResult {
        Objects.requireNonNull(test, "test");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(observed, "observed");
        Objects.requireNonNull(detail, "detail");
    }
}
