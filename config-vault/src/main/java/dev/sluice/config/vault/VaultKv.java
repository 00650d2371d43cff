package dev.sluice.config.vault;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The KV version 2 operations Sluice uses on one mount, with the session's current token. Paths are relative to the
 * mount ({@code sluice/plans/pro}); implementations put {@code data/}, {@code metadata/} where the API wants them.
 * Thread-safe. Every call is bounded by {@code vault-timeout-ms}; a refused token is renewed or replaced by a new
 * login and the call retried once before it fails.
 *
 * @throws VaultException on every method when Vault is unreachable, sealed, or refuses the call
 */
public interface VaultKv {
    /** The current version of the secret, by one metadata read; empty when there is none, or it is deleted. */
    OptionalLong currentVersion(String path);

    /**
     * The secret's metadata (versions and times, no data), by one metadata read; empty when there is none. Added for
     * issue 10 so function secrets can be listed with versions and times without reading their values.
     */
    Optional<KvMetadata> metadata(String path);

    /** The current version of the secret; empty when there is none, or its current version is deleted. */
    Optional<KvEntry> read(String path);

    /**
     * As {@link #read}, in one request where the implementation can (the latest version with its own metadata), for
     * callers that need the value but not the secret's creation time: {@link KvEntry#createdAt()} may then be the
     * version's creation time. Added for review r1 #9 (function secrets read on the invocation path).
     */
    default Optional<KvEntry> readLatest(String path) {
        return read(path);
    }

    /**
     * The names directly under {@code folder}, sorted; a sub-folder ends with {@code /}. Empty when the folder does
     * not exist.
     */
    List<String> list(String folder);

    /** Writes a new version with these string values and returns its number. */
    long write(String path, Map<String, String> data);

    /** Removes the secret with every version and its metadata, so nothing of it can be read back. */
    void destroy(String path);
}
