package dev.sluice.config.live;

import dev.sluice.config.SluiceConfig;
import dev.sluice.config.vault.VaultTree;

/**
 * The configuration in force, kept current from its sources: the file (watched) and, when {@code vault-address} is
 * set, Vault's {@code config} path and tenancy objects. Every {@code config-poll-ms} (and on {@link #refresh}) it
 * checks the sources; when something changed it builds the whole new configuration, has every listener
 * {@link ConfigListener#prepare check} it, and only when all accept does it apply them all: an invalid change is
 * refused with a logged reason naming the path and key, and the last-known-good stays in force. A source that cannot
 * be read (Vault away or sealed) leaves the last-known-good in force too, and the status says {@code DEGRADED} with the
 * reason until a poll succeeds again (retried with backoff). Changes to keys outside
 * {@link SluiceConfig#LIVE_KEYS} are logged as needing a restart and not applied: {@link #current()} keeps their
 * values from the start.
 *
 * <p>Thread-safe: {@link #current()} and {@link #tree()} are lock-free reads of one immutable snapshot; refreshes
 * (the poller's and {@link #refresh}'s) are serialised.
 */
public interface LiveConfig extends AutoCloseable {
    /** The configuration in force. */
    SluiceConfig current();

    /** Vault's objects in force ({@link VaultTree#EMPTY} without Vault). */
    VaultTree tree();

    ConfigStatus status();

    /** Registers a listener; call before {@link #start}. */
    void addListener(ConfigListener listener);

    /**
     * Loads the sources once (listeners prepare and apply the first configuration) and starts polling. When Vault
     * cannot be reached at start, or its first tree is refused (by parsing or by a listener; logged), the process
     * starts on {@code initial} (what it was built from) without Vault's objects, and the status stays
     * {@code STARTING} (not ready) with the reason until a tree read from Vault applies; only after that does a
     * failure or refusal mean {@code DEGRADED} (ready, serving the last-known-good).
     */
    void start();

    /** Checks the sources now, on the caller's thread, and says what happened. */
    RefreshResult refresh();

    /** Stops polling. */
    @Override
    void close();
}
