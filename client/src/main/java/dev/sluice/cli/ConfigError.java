package dev.sluice.cli;

/**
 * The endpoint or a credential is missing or unusable (no key, a profile others can read, a bad URL): exit 4. The
 * message names the variable or file to fix and never holds a value read from them.
 */
final class ConfigError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConfigError(String message) {
        super(message, null, false, false);
    }
}
