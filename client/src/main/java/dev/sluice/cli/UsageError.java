package dev.sluice.cli;

/** The command line is wrong (unknown command or option, missing or bad argument): exit 2 with a hint. */
final class UsageError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String command;

    UsageError(String command, String message) {
        super(message, null, false, false);
        this.command = command;
    }
}
