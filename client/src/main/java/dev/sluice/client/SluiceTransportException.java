package dev.sluice.client;

/**
 * The server could not be reached or broke off the exchange (refused connection, unknown host, timeout, reset), or
 * the call was interrupted. The message names the server's address (without user info) and the cause, never a
 * credential.
 */
public final class SluiceTransportException extends SluiceException {
    private static final long serialVersionUID = 1L;

    SluiceTransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
