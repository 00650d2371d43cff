package dev.sluice.gateway.core;

import java.net.SocketAddress;
import java.util.OptionalLong;

/**
 * Failed authentications per client, so that guessing keys is slow and cheap to refuse. The gateway's implementation
 * is {@code AuthFailureLimiter}; {@link #none} counts nothing (for tests of what lies behind). Thread-safe.
 */
public interface AuthFailures {
    /** Seconds the client must wait before its key is even looked up, or empty to go ahead. */
    OptionalLong refusal(SocketAddress peer, String presentedKey);

    void failed(SocketAddress peer, String presentedKey);

    void succeeded(String presentedKey);

    static AuthFailures none() {
        return new AuthFailures() {
            @Override
            public OptionalLong refusal(SocketAddress peer, String presentedKey) {
                return OptionalLong.empty();
            }

            @Override
            public void failed(SocketAddress peer, String presentedKey) {}

            @Override
            public void succeeded(String presentedKey) {}
        };
    }
}
