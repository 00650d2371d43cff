package dev.sluice.config.secrets;

/** Base of the function secrets' errors; messages never hold a value. The gateway maps each kind to a problem. */
public abstract sealed class SecretsException extends RuntimeException {
    protected SecretsException(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** A name or value breaks a rule, or the function holds too many; the message names the field. */
    public static final class Invalid extends SecretsException {
        public Invalid(String message) {
            super(message, null);
        }
    }

    /** The backend cannot be used now (Vault away or sealed) or at all (no key to encrypt with). */
    public static final class Unavailable extends SecretsException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
