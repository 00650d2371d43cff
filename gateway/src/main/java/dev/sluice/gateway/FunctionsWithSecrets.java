package dev.sluice.gateway;

import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.ForwardingFunctionRegistry;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.FunctionSpec;
import java.util.Objects;

/**
 * The function registry as the API uses it: removing a function removes its secrets, and removing a tenant's
 * functions (the tenant is deleted) removes theirs, wherever the removal is asked for (the tenant's {@code DELETE}
 * of a function, the admin's of a tenant).
 *
 * <p>Secrets go first: if their backend cannot remove them (Vault away), the function stays and the caller gets the
 * backend's error (503), so a retry finishes the job. The other order would leave secrets behind that a function
 * deployed again under the name would silently get back. The data directory's backend removes a function's secrets
 * without its key, so deleting works without {@code SLUICE_SECRETS_KEY} too.
 */
final class FunctionsWithSecrets extends ForwardingFunctionRegistry {
    private final FunctionSecrets secrets;

    private FunctionsWithSecrets(FunctionRegistry functions, FunctionSecrets secrets) {
        super(functions);
        this.secrets = secrets;
    }

    static FunctionRegistry over(FunctionRegistry functions, FunctionSecrets secrets) {
        return new FunctionsWithSecrets(Objects.requireNonNull(functions, "functions"),
                Objects.requireNonNull(secrets, "secrets"));
    }

    @Override
    public boolean delete(String tenant, FunctionName name) {
        secrets.deleteAll(tenant, name.value());
        return functions.delete(tenant, name);
    }

    @Override
    public void deleteAll(String tenant) {
        for (FunctionSpec function : functions.list(tenant)) {
            secrets.deleteAll(tenant, function.name().value());
        }
        functions.deleteAll(tenant);
    }
}
