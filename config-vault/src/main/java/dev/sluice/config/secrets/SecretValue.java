package dev.sluice.config.secrets;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A secret's value: Unicode text (no unpaired surrogate) without NUL (an environment variable cannot hold one), at most {@value #MAX_BYTES}
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
        if (!wellFormed(text)) {
            // UTF-8 cannot encode a lone surrogate: the guest would get '?' where the tenant wrote something else.
            throw new SecretsException.Invalid("value: not valid Unicode text (expected: no unpaired UTF-16"
                    + " surrogate)");
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

    private static boolean wellFormed(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
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
