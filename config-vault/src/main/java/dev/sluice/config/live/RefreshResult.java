package dev.sluice.config.live;

import java.util.List;

/** What one check of the sources did. */
public sealed interface RefreshResult {
    /** Nothing changed since the last check. */
    record Unchanged() implements RefreshResult {}

    /**
     * A new configuration is in force.
     *
     * @param changed     the keys and Vault paths whose change took effect
     * @param needRestart the keys that changed but apply only at the next start
     */
    record Applied(List<String> changed, List<String> needRestart) implements RefreshResult {
        public Applied {
            changed = List.copyOf(changed);
            needRestart = List.copyOf(needRestart);
        }
    }

    /** The new configuration is invalid; the last-known-good stays. {@code reason} names the path and key. */
    record Refused(String reason) implements RefreshResult {}

    /** A source could not be read; the last-known-good stays. */
    record Unavailable(String reason) implements RefreshResult {}
}
