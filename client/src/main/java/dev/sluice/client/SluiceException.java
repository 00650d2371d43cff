package dev.sluice.client;

/**
 * What the client throws: the server answered with a problem ({@link SluiceProblem}), or it could not be reached
 * ({@link SluiceTransportException}). Unchecked; messages never hold a credential.
 */
public abstract sealed class SluiceException extends RuntimeException
        permits SluiceProblem, SluiceTransportException {
    private static final long serialVersionUID = 1L;

    SluiceException(String message, Throwable cause) {
        super(message, cause);
    }
}
