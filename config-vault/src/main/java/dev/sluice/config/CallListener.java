package dev.sluice.config;

/**
 * Told of every call a client makes to a service Sluice depends on, for metrics: the Vault session (the operation,
 * see {@code VaultOperations}) and the Redis clients of tenancy and scheduler (the protocol keyword, such as
 * {@code EVALSHA}). Never a key, path, argument or secret: only a name from a small set, how long the call took, and
 * whether it failed. Here, in the module every other one depends on, so one type serves all three clients.
 *
 * <p>Called on the client's own threads (Lettuce's I/O threads, the HTTP client's): quick, never blocking, never
 * throwing.
 */
@FunctionalInterface
public interface CallListener {
    /** Listens to nothing. */
    CallListener NONE = (name, nanos, failed) -> { };

    /**
     * @param name   what the call did, from a fixed set
     * @param nanos  the call's duration; 0 for a failure whose duration the client does not report (Lettuce)
     * @param failed no answer, or an error answer
     */
    void call(String name, long nanos, boolean failed);
}
