package dev.sluice.config;

/** Configuration that cannot be used; the message names the key (and the file and line when there is one). */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message, null, false, false);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
