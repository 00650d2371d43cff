package dev.sluice.config.vault;

import dev.sluice.config.CallListener;
import dev.sluice.config.VaultConfig;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;

/**
 * One logged-in connection to Vault: the token (from {@code vault-auth}: a token, AppRole or Kubernetes login), kept
 * alive by renewing it before its TTL runs out and by logging in again when renewal is refused or the token expired,
 * and one shared HTTP client for every call. Opening contacts nothing: the first call logs in, so a process starts
 * while Vault is away. The token is never logged, printed or put in an exception.
 */
public interface VaultSession extends AutoCloseable {
    /**
     * A session on {@code config} (which must have a {@code vault-address}), logging in by {@code vault-auth} with
     * credentials from the configured files or {@code environment} ({@code $VAULT_TOKEN},
     * {@code $SLUICE_VAULT_ROLE_ID}, {@code $SLUICE_VAULT_SECRET_ID}); token TTLs are judged on {@code clock}.
     * Contacts nothing until the first call.
     */
    static VaultSession open(VaultConfig config, Map<String, String> environment,
            InstantSource clock) {
        return DriverSession.open(config, environment, clock, true);
    }

    /** ... telling {@code calls} of every request's duration or failure (metrics). */
    static VaultSession open(VaultConfig config, Map<String, String> environment,
            InstantSource clock, CallListener calls) {
        return DriverSession.open(config, environment, clock, true, Objects.requireNonNull(calls, "calls"));
    }

    /** KV version 2 on {@code vault-mount}. */
    VaultKv kv();

    /** Sluice's folder ({@code vault-prefix}) as a polled tree. */
    VaultMirror mirror();

    /** Stops renewing; the token is left to expire (revoking it would break other processes sharing it). */
    @Override
    void close();
}
