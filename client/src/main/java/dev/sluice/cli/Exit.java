package dev.sluice.cli;

/** The exit codes scripts branch on (docs/cli.md). */
final class Exit {
    static final int OK = 0;
    /** The server answered with a problem (or an invocation with a non-2xx status). */
    static final int PROBLEM = 1;
    static final int USAGE = 2;
    /** The server could not be reached, or the exchange broke off. */
    static final int TRANSPORT = 3;
    /** The endpoint or credentials are missing or unusable. */
    static final int CONFIG = 4;

    private Exit() {}
}
