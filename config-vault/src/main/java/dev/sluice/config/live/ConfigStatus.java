package dev.sluice.config.live;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How the configuration sources are doing, for {@code /health/ready} details, the admin API and metrics.
 *
 * @param source      {@code file}, or {@code vault} when Vault is configured
 * @param state       see {@link State}
 * @param reason      why the state is not {@code OK}: the last failure or refusal, naming the path and key; never a
 *                    token or a value
 * @param lastApplied when a configuration last took effect
 * @param lastPoll    when the sources were last checked successfully
 * @param polls       checks of the sources so far
 * @param failures    checks that failed because a source could not be read
 * @param refusals    new configurations refused as invalid
 * @param applied     new configurations applied (the first included)
 */
public record ConfigStatus(String source, State state, Optional<String> reason, Optional<Instant> lastApplied,
                           Optional<Instant> lastPoll, long polls, long failures, long refusals, long applied) {
    public ConfigStatus {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(lastApplied, "lastApplied");
        Objects.requireNonNull(lastPoll, "lastPoll");
    }

    public enum State {
        /** Every source was read at the last check, and what it holds is in force. */
        OK,
        /**
         * Serving the last-known-good, ready: a source cannot be read, or holds a configuration that was refused (with
         * Vault: after a tree from Vault applied once).
         */
        DEGRADED,
        /**
         * Not ready: not started yet, or (with Vault) no tree read from Vault has applied yet, because Vault could
         * not be read or its first tree was refused; the reason says which. Serving the configuration the process was
         * built from, without Vault's tenants, plans and keys.
         */
        STARTING
    }
}
