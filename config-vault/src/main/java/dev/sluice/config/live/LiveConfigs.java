package dev.sluice.config.live;

import dev.sluice.config.SluiceConfig;
import dev.sluice.config.vault.VaultMirror;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Optional;

/** Creates the {@link LiveConfig} of a process. */
public final class LiveConfigs {
    private LiveConfigs() {}

    /**
     * The configuration kept current from {@code file} (when given: watched by content every {@code config-poll-ms})
     * and {@code vault}'s tree (when given: its {@code config} path overlays the file's keys, and its other paths are
     * the tenancy objects listeners read). Polling starts at {@link LiveConfig#start}, on one daemon thread.
     *
     * <p>The first load at {@code start()} takes every key from the sources, restart-only ones included (nothing runs
     * yet), so the process must build what restart-only keys configure (port, data dir, workers, ...) from
     * {@link LiveConfig#current()} after {@code start()}, not from {@code initial}. After that, a change to a
     * restart-only key is logged and not applied.
     *
     * @param file    the configuration file the process started from; empty: {@code initial} is the only local source
     * @param initial what the process parsed from {@code file} (or the defaults, or code), or with Vault what it was
     *                built from (a probe's configuration, Vault's {@code config} path included): in force until start,
     *                and with Vault until a tree read from Vault applies (the status is {@code STARTING} meanwhile)
     * @param vault   Sluice's Vault folder, polled; empty: no Vault
     * @param clock   for the status's timestamps
     */
    public static LiveConfig create(Optional<Path> file, SluiceConfig initial, Optional<VaultMirror> vault,
                                    InstantSource clock) {
        return create(file, initial, vault, clock, PollScheduler.daemon("sluice-config-poll"));
    }

    /** As above, with the poller's scheduling given (tests run the checks themselves). */
    static LiveConfig create(Optional<Path> file, SluiceConfig initial, Optional<VaultMirror> vault,
                             InstantSource clock, PollScheduler scheduler) {
        return new PolledLiveConfig(file, initial, vault, clock, scheduler);
    }
}
