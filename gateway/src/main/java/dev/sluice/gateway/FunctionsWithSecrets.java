package dev.sluice.gateway;

import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.FunctionSpec;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
final class FunctionsWithSecrets implements FunctionRegistry {
    private final FunctionRegistry functions;
    private final FunctionSecrets secrets;

    private FunctionsWithSecrets(FunctionRegistry functions, FunctionSecrets secrets) {
        this.functions = functions;
        this.secrets = secrets;
    }

    static FunctionRegistry over(FunctionRegistry functions, FunctionSecrets secrets) {
        return new FunctionsWithSecrets(Objects.requireNonNull(functions, "functions"),
                Objects.requireNonNull(secrets, "secrets"));
    }

    @Override
    public Deployment deploy(DeployRequest request) {
        return functions.deploy(request);
    }

    @Override
    public Optional<FunctionSpec> find(String tenant, FunctionName name) {
        return functions.find(tenant, name);
    }

    @Override
    public List<FunctionSpec> list(String tenant) {
        return functions.list(tenant);
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
