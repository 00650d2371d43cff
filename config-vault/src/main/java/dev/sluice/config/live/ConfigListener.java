package dev.sluice.config.live;

/**
 * A part of Sluice that takes configuration live: given a candidate, it checks everything it would apply and returns
 * the action that applies it, or refuses the candidate by throwing {@link dev.sluice.config.ConfigException} with a
 * message naming the path and key (for example {@code vault secret/sluice/plans/pro: burst: 0 (expected: 1..1000000)}).
 * The apply action must not fail: everything that can fail is checked in {@code prepare}.
 */
@FunctionalInterface
public interface ConfigListener {
    Runnable prepare(Candidate candidate);
}
