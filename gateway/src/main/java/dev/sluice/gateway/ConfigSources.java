package dev.sluice.gateway;

import dev.sluice.config.CallListener;
import dev.sluice.config.SluiceConfig;
import dev.sluice.config.live.ConfigListener;
import dev.sluice.config.live.LiveConfig;
import dev.sluice.config.live.LiveConfigs;
import dev.sluice.config.secrets.CachedFunctionSecrets;
import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.config.vault.VaultFunctionSecrets;
import dev.sluice.config.vault.VaultMirror;
import dev.sluice.config.vault.VaultSession;
import dev.sluice.tenancy.TenancyStores;
import dev.sluice.tenancy.managed.ManagedObjects;
import dev.sluice.tenancy.managed.ManagedTenancy;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Where one process's configuration comes from, wired in the order the pieces need: the Vault session (when
 * {@code vault-address} is set), the first configuration, the {@link LiveConfig} that keeps it current, and what Vault
 * manages (tenants, plans and keys over the stores; function secrets). Wiring only; {@link Sluice} calls it in this
 * order: {@link #open}, {@link #config()} to build the process from, {@link #manage} on the tenancy stores,
 * {@link #start} once everything that listens exists, {@link #close} last.
 *
 * <p>With Vault, its {@code config} path may set any key but the bootstrap ones, restart-only keys included: at
 * start nothing runs yet, so they apply. The first configuration is therefore read once before anything is built (by
 * a LiveConfig started without listeners and closed at once), so the stores, workers and listener are built from
 * what Vault says, not from the file alone; the LiveConfig that stays then starts from that configuration. Without
 * Vault the file that {@code initial} was parsed from is the only source, and {@code initial} is used as it is.
 */
final class ConfigSources implements AutoCloseable {
    /** The name {@code managed-by} shows for objects declared in Vault. */
    static final String VAULT = "vault";

    private final Optional<VaultSession> vault;
    private final SluiceConfig config;
    private final LiveConfig live;
    private final InstantSource clock;
    private ManagedTenancy managed;

    private ConfigSources(Optional<VaultSession> vault, SluiceConfig config, LiveConfig live, InstantSource clock) {
        this.vault = vault;
        this.config = config;
        this.live = live;
        this.clock = clock;
    }

    /**
     * Opens the sources. Vault is not required to answer: a Vault away at start, or one whose first tree is refused,
     * leaves the configuration the process is built from in force (without Vault's objects) and the status
     * {@code STARTING}, so not ready, until a tree read from Vault applies.
     *
     * @param initial     what was parsed from {@code file} (or the defaults, or code)
     * @param file        the configuration file, watched for changes; empty: none
     * @param environment where Vault credentials come from when not from files ({@code $VAULT_TOKEN}, ...)
     * @param vaultCalls  told of every Vault request (metrics)
     */
    static ConfigSources open(SluiceConfig initial, Optional<Path> file, Map<String, String> environment,
                              InstantSource clock, CallListener vaultCalls) {
        if (!initial.vault().enabled()) {
            return new ConfigSources(Optional.empty(), initial,
                    LiveConfigs.create(file, initial, Optional.empty(), clock), clock);
        }
        VaultSession session = VaultSession.open(initial.vault(), environment, clock, vaultCalls);
        try {
            VaultMirror mirror = session.mirror();
            SluiceConfig first;
            try (LiveConfig probe = LiveConfigs.create(file, initial, Optional.of(mirror), clock)) {
                probe.start();
                first = probe.current();
            }
            return new ConfigSources(Optional.of(session), first,
                    LiveConfigs.create(file, first, Optional.of(mirror), clock), clock);
        } catch (RuntimeException | Error e) {
            session.close();
            throw e;
        }
    }

    /** The configuration to build the process from. */
    SluiceConfig config() {
        return config;
    }

    LiveConfig live() {
        return live;
    }

    /** The stores the process uses: {@code base}, with Vault's declared plans, tenants and keys over it. */
    TenancyStores manage(TenancyStores base) {
        if (vault.isEmpty()) {
            return base;
        }
        managed = ManagedTenancy.over(base, VAULT, clock);
        return managed;
    }

    /** Which objects Vault manages (none without Vault); call after {@link #manage}. */
    ManagedObjects managedObjects() {
        return managed == null ? ManagedObjects.NONE : managed;
    }

    /**
     * Function secrets: in Vault when it is configured, read by invocations through a cache kept for one poll period
     * (so an invocation costs no Vault call in the common case, and keeps its secrets while Vault is away); else
     * {@code otherwise}'s.
     */
    FunctionSecrets secrets(Supplier<FunctionSecrets> otherwise, LongSupplier nanoTime) {
        return vault.<FunctionSecrets>map(v -> CachedFunctionSecrets.over(
                        VaultFunctionSecrets.create(v.kv(), config.vault().prefix(), clock), nanoTime,
                        () -> live.current().configPollMs()))
                .orElseGet(otherwise);
    }

    /**
     * Registers the listeners (the live settings, and Vault's declarations when Vault is on) and loads the first
     * configuration into them; polling starts.
     */
    void start(ConfigListener settings) {
        live.addListener(settings);
        if (managed != null) {
            live.addListener(VaultDeclarations.listener(managed::prepare));
        }
        live.start();
    }

    /** Stops polling and renewing; the stores are the caller's. */
    @Override
    public void close() {
        try {
            live.close();
        } finally {
            vault.ifPresent(VaultSession::close);
        }
    }
}
