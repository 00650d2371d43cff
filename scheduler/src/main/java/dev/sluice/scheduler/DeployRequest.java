package dev.sluice.scheduler;

import java.util.Objects;

/**
 * A module to deploy and the limits already resolved against the tenant's maxima by the caller.
 *
 * @param maxModuleBytes the tenant's cap on module size, checked before anything else
 * @param fuel           fuel budget of each invocation
 */
public record DeployRequest(String tenant, FunctionName name, byte[] module, int memoryPages, long timeoutMs,
                            long maxModuleBytes, long fuel) {
    public DeployRequest {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(module, "module");
    }
}
