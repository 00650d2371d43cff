package dev.sluice.gateway.logs;

import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.ForwardingFunctionRegistry;
import dev.sluice.scheduler.FunctionRegistry;
import java.util.Objects;

/**
 * The function registry as the API uses it, keeping the logs in step: a function deleted (by its tenant, or with its
 * tenant) loses its entries, and a function created under a name (after a delete this gateway did not see, say, on
 * another gateway) starts with none of the old one's.
 */
public final class FunctionsWithLogs extends ForwardingFunctionRegistry {
    private final FunctionLogs logs;

    private FunctionsWithLogs(FunctionRegistry functions, FunctionLogs logs) {
        super(functions);
        this.logs = logs;
    }

    public static FunctionRegistry over(FunctionRegistry functions, FunctionLogs logs) {
        return new FunctionsWithLogs(Objects.requireNonNull(functions, "functions"), Objects.requireNonNull(logs,
                "logs"));
    }

    @Override
    public Deployment deploy(DeployRequest request) {
        Deployment deployment = functions.deploy(request);
        if (deployment.created()) {
            logs.drop(deployment.spec().tenant(), deployment.spec().name().value());
        }
        return deployment;
    }

    @Override
    public boolean delete(String tenant, FunctionName name) {
        boolean deleted = functions.delete(tenant, name);
        logs.drop(tenant, name.value());
        return deleted;
    }

    @Override
    public void deleteAll(String tenant) {
        functions.deleteAll(tenant);
        logs.dropTenant(tenant);
    }
}
