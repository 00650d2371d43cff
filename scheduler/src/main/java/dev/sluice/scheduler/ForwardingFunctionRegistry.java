package dev.sluice.scheduler;

import dev.sluice.scheduler.assets.AttachedAssets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A registry that passes every call to another: the base of the decorators that add one concern to some calls
 * (secrets removed with their function, logs dropped with it, deploys traced), so each overrides only what it
 * changes and a method added to {@link FunctionRegistry} is forwarded in one place.
 */
public abstract class ForwardingFunctionRegistry implements FunctionRegistry {
    /** The registry this one decorates. */
    protected final FunctionRegistry functions;

    protected ForwardingFunctionRegistry(FunctionRegistry functions) {
        this.functions = Objects.requireNonNull(functions, "functions");
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
    public Optional<Boolean> compiled(FunctionSpec function) {
        return functions.compiled(function);
    }

    @Override
    public List<FunctionSpec> list(String tenant) {
        return functions.list(tenant);
    }

    @Override
    public Optional<AssetsChange> attach(String tenant, FunctionName name, Optional<AttachedAssets> assets) {
        return functions.attach(tenant, name, assets);
    }

    @Override
    public Optional<AssetsChange> attach(String tenant, FunctionName name, AttachedAssets assets,
                                         java.util.function.Supplier<byte[]> archive, boolean onlyWhenNone) {
        return functions.attach(tenant, name, assets, archive, onlyWhenNone);
    }

    @Override
    public boolean delete(String tenant, FunctionName name) {
        return functions.delete(tenant, name);
    }

    @Override
    public void deleteAll(String tenant) {
        functions.deleteAll(tenant);
    }
}
