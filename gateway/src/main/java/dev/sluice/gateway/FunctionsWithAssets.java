package dev.sluice.gateway;

import dev.sluice.scheduler.ForwardingFunctionRegistry;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.assets.FunctionAssets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The function registry as the API uses it, with assets: removing a function removes its assets, removing a
 * tenant's functions removes theirs; a deploy keeps them (they are not part of the module). The function goes
 * first: if its removal fails, its assets stay with it.
 */
final class FunctionsWithAssets extends ForwardingFunctionRegistry {
    private final FunctionAssets assets;

    private FunctionsWithAssets(FunctionRegistry functions, FunctionAssets assets) {
        super(functions);
        this.assets = assets;
    }

    static FunctionsWithAssets over(FunctionRegistry functions, FunctionAssets assets) {
        return new FunctionsWithAssets(Objects.requireNonNull(functions, "functions"),
                Objects.requireNonNull(assets, "assets"));
    }

    /** The assets themselves: upload, describe, remove. */
    FunctionAssets assets() {
        return assets;
    }

    /**
     * The host directory of the function's assets (read-only, complete), for the runtime's
     * {@code FunctionFiles.assets}; empty when it has none.
     */
    Optional<Path> assetsDirectory(String tenant, FunctionName name) {
        return assets.directory(tenant, name);
    }

    @Override
    public boolean delete(String tenant, FunctionName name) {
        boolean existed = functions.delete(tenant, name);
        assets.remove(tenant, name);
        return existed;
    }

    @Override
    public void deleteAll(String tenant) {
        functions.deleteAll(tenant);
        assets.removeAll(tenant);
    }
}
