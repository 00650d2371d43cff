package dev.sluice.config.secrets;

import java.util.List;
import java.util.Map;

/**
 * A tenant's secrets for its functions: written through the tenant API, never read back through it, and given to the
 * function as environment variables when it runs. {@code owner} is the tenant's uid (a tenant deleted and created
 * again under its name owns none of the first one's secrets); {@code function} a function name. Values never appear
 * in a message, a log line, {@link Object#toString()} or an exception. Thread-safe; writes are durable before they
 * return.
 *
 * <p>Backends: Vault ({@code <prefix>/secrets/<owner>/<function>/<NAME>}, when {@code vault-address} is set), or the
 * data directory, encrypted with a key from {@code $SLUICE_SECRETS_KEY} (see docs/vault.md for what each protects
 * against).
 *
 * @throws SecretsException.Unavailable on every method when the backend cannot be reached or is not configured
 */
public interface FunctionSecrets {
    /** Most secrets one function may hold. */
    int MAX_PER_FUNCTION = 64;

    /**
     * Creates or replaces the secret and returns its new version (1 for a new one).
     *
     * @throws SecretsException.Invalid when the function already holds {@link #MAX_PER_FUNCTION} others
     */
    SecretVersion put(String owner, String function, SecretName name, SecretValue value);

    /** Names and versions of the function's secrets, by name. */
    List<SecretVersion> list(String owner, String function);

    /** @return whether there was such a secret */
    boolean delete(String owner, String function, SecretName name);

    /** Removes every secret of the function (it was deleted). */
    void deleteAll(String owner, String function);

    /** Name to value of every secret of the function, for its environment at invocation. */
    Map<String, String> values(String owner, String function);
}
