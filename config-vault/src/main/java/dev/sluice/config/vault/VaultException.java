package dev.sluice.config.vault;

/**
 * Vault could not serve a call. The message says why and names the path, never a token or a value. Created without a
 * stack trace: a Vault outage fails every poll, and the reason is all the log needs.
 */
public abstract sealed class VaultException extends RuntimeException {
    protected VaultException(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** Not reachable in time: connection refused, timeout, a 5xx other than sealed. */
    public static final class Unavailable extends VaultException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Vault answered 503 sealed: it is up but cannot serve anything until unsealed. */
    public static final class Sealed extends VaultException {
        public Sealed(String message) {
            super(message, null);
        }
    }

    /** Vault refused the call (403) even after a fresh login: the policy does not grant it, or login fails. */
    public static final class Denied extends VaultException {
        public Denied(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Vault answered something Sluice cannot use (not JSON, not a KV v2 shape). */
    public static final class Malformed extends VaultException {
        public Malformed(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
