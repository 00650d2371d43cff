package dev.sluice.config.vault;

/**
 * One logged-in connection to Vault: the token (from {@code vault-auth}: a token, AppRole or Kubernetes login), kept
 * alive by renewing it before its TTL runs out and by logging in again when renewal is refused or the token expired,
 * and one shared HTTP client for every call. Opening contacts nothing: the first call logs in, so a process starts
 * while Vault is away. The token is never logged, printed or put in an exception.
 */
public interface VaultSession extends AutoCloseable {
    /** KV version 2 on {@code vault-mount}. */
    VaultKv kv();

    /** Sluice's folder ({@code vault-prefix}) as a polled tree. */
    VaultMirror mirror();

    /** Stops renewing; the token is left to expire (revoking it would break other processes sharing it). */
    @Override
    void close();
}
