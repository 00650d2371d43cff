package dev.sluice.scheduler;

import java.util.regex.Pattern;

/** A function's name within its tenant: safe in URLs, file names and log lines (no traversal possible). */
public record FunctionName(String value) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    public FunctionName {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new SchedulerException.InvalidInput(
                    "function name: '" + value + "' (expected: [a-z0-9][a-z0-9-]{0,62})");
        }
    }

    public static FunctionName of(String value) {
        return new FunctionName(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
