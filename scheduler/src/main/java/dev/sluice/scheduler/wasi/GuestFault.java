package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.wasm.ChicoryException;

/**
 * A WASI call failed because of what the guest passed it (an address or length the host's own code could not
 * handle), not because of a fault of the host. It is the guest's trap: the sandbox reports it to the tenant and
 * never logs it as an error. Carries no stack trace, since a guest can raise it at will.
 */
public final class GuestFault extends ChicoryException {
    GuestFault(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
