package dev.sluice.loadtest.wasi;

import java.util.Locale;

/**
 * How one suite test fared. The {@code NEEDS_*} classes are tests that cannot pass under WAGI or today's sandbox by
 * design (fixed argv and CGI environment; no files yet): they are listed, not counted as failures of the sandbox.
 */
enum Outcome {
    PASSED,
    /** The test passes arguments, or tests argv itself: WAGI gives {@code argv = [function-name]}. */
    NEEDS_ARGS,
    /** The test sets environment variables, or tests the environment itself: WAGI gives the CGI variables. */
    NEEDS_ENV,
    /** The test wants a directory preopened (its {@code root} / {@code dirs}): functions see no files today. */
    NEEDS_DIRS,
    WRONG_EXIT,
    WRONG_STDOUT,
    /** Deploy answered 422 (the problem's {@code reason}, e.g. {@code forbidden-import}). */
    REJECTED_AT_DEPLOY,
    /** A 502 other than {@code function-failed}: a trap, memory, stack, fuel or output limit. */
    TRAP,
    TIMEOUT,
    /** Anything else the gateway answered (e.g. 503): a problem of the run, not of the test. */
    ERROR;

    String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
