package dev.sluice.config.secrets;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A secret's value: UTF-8 text without NUL (an environment variable cannot hold one), at most {@value #MAX_BYTES}
 * bytes. {@link #toString()} never shows it.
 */
public final class SecretValue {
    public static final int MAX_BYTES = 32 * 1024;

    private final String text;

    private SecretValue(String text) {
        this.text = text;
    }

    public static SecretValue of(String text) {
        if (text == null) {
            throw new SecretsException.Invalid("value: missing (expected: a string)");
        }
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw new SecretsException.Invalid("value: " + bytes + " bytes (expected: at most " + MAX_BYTES + ")");
        }
        if (text.indexOf('\0') >= 0) {
            throw new SecretsException.Invalid("value: holds a NUL character (expected: text an environment "
                    + "variable can hold)");
        }
        return new SecretValue(text);
    }

    /** The value itself: only for the backend that stores it and the environment that injects it. */
    public String reveal() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SecretValue other && java.security.MessageDigest.isEqual(
                text.getBytes(StandardCharsets.UTF_8), other.text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int hashCode() {
        return Objects.hash(text.length());
    }

    @Override
    public String toString() {
        return "SecretValue[***]";
    }
}
