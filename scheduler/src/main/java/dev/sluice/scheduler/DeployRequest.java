package dev.sluice.scheduler;

import java.util.Objects;

/**
 * A module to deploy and the limits already resolved against the tenant's maxima by the caller.
 *
 * @param maxModuleBytes the tenant's cap on module size, checked before anything else
 * @param fuel           fuel budget of each invocation
 * @param maxFunctions   how many functions the tenant may have (0: no limit); a new name beyond it is refused, checked
 *                       atomically with storing so concurrent deploys cannot exceed it
 * @param observer       told the deploy's steps (traces); {@link DeployObserver#NONE} unless set
 */
public record DeployRequest(String tenant, FunctionName name, byte[] module, int memoryPages, long timeoutMs,
                            long maxModuleBytes, long fuel, long maxFunctions, DeployObserver observer) {
    public DeployRequest {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(observer, "observer");
    }

    public DeployRequest(String tenant, FunctionName name, byte[] module, int memoryPages, long timeoutMs,
                         long maxModuleBytes, long fuel, long maxFunctions) {
        this(tenant, name, module, memoryPages, timeoutMs, maxModuleBytes, fuel, maxFunctions, DeployObserver.NONE);
    }

    /** The same deploy, its steps told to {@code observer}. */
    public DeployRequest withObserver(DeployObserver observer) {
        return new DeployRequest(tenant, name, module, memoryPages, timeoutMs, maxModuleBytes, fuel, maxFunctions,
                observer);
    }

    /** A deploy with no limit on the tenant's number of functions. */
    public DeployRequest(String tenant, FunctionName name, byte[] module, int memoryPages, long timeoutMs,
                         long maxModuleBytes, long fuel) {
        this(tenant, name, module, memoryPages, timeoutMs, maxModuleBytes, fuel, 0);
    }
}
