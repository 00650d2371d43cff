package dev.sluice.client;

import java.util.Objects;

/** One request header of an invocation. */
public record Header(String name, String value) {
    public Header {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty() || !name.chars().allMatch(c -> c > 32 && c < 127 && c != ':')) {
            throw new IllegalArgumentException("header name: not a token (expected: Name: value)");
        }
        if (value.chars().anyMatch(c -> c == '\r' || c == '\n')) {
            throw new IllegalArgumentException("header " + name + ": value has a line break");
        }
    }

    /** {@code "Name: value"}, as curl's {@code -H} takes it. */
    public static Header parse(String line) {
        int colon = line.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("header: no 'Name: value' (expected: -H 'Name: value')");
        }
        return new Header(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
    }
}
