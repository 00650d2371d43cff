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

    /**
     * A backend that cannot be used at all (not configured, say): every method, {@link #values} and
     * {@link #deleteAll} included, throws {@link SecretsException.Unavailable} with {@code reason}, which is shown to
     * tenants, so it names what the provider has to set and nothing else. A gateway on it therefore runs no function
     * and deletes none until a backend is configured: secrets never outlive their function, nor does a function run
     * without them. (Without {@code $SLUICE_SECRETS_KEY} the gateway uses {@link EncryptedFileSecrets} without a key
     * instead, which lets functions without secrets run and be deleted.)
     */
    static FunctionSecrets unavailable(String reason) {
        java.util.Objects.requireNonNull(reason, "reason");
        return new FunctionSecrets() {
            private SecretsException.Unavailable refused() {
                return new SecretsException.Unavailable(reason, null);
            }

            @Override
            public SecretVersion put(String owner, String function, SecretName name, SecretValue value) {
                throw refused();
            }

            @Override
            public List<SecretVersion> list(String owner, String function) {
                throw refused();
            }

            @Override
            public boolean delete(String owner, String function, SecretName name) {
                throw refused();
            }

            @Override
            public void deleteAll(String owner, String function) {
                throw refused();
            }

            @Override
            public Map<String, String> values(String owner, String function) {
                throw refused();
            }

            @Override
            public String toString() {
                return "FunctionSecrets.unavailable(" + reason + ")";
            }
        };
    }
}
