package dev.sluice.config.vault;

/**
 * Keeps a copy of Sluice's Vault folder ({@code <vault-mount>/<vault-prefix>/}, everything but {@code secrets/},
 * which is read per function when needed): each {@link #poll} lists the folders and reads each path's version from
 * its metadata, and reads only the paths whose version changed, so a poll over an unchanged tree costs one metadata
 * read per path and one list per folder. Not thread-safe: one poller calls it.
 */
public interface VaultMirror {
    /**
     * The tree now, reusing unchanged entries of the previous poll.
     *
     * @throws VaultException when any call fails: a partial tree is never returned
     */
    VaultTree poll();
}
