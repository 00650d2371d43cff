package dev.sluice.scheduler;

import dev.sluice.scheduler.assets.AttachedAssets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The deployed functions of every tenant. A deploy parses and validates the module before anything is stored: a
 * module that fails any check leaves no trace. Compiling never fails a deploy and never holds it longer than the
 * compile budget ({@link SchedulerSettings#compileBudgetMillis()}): until its compile is done a module runs on the
 * interpreter, with the same results and fuel. Thread-safe; writes are durable before they return.
 */
public interface FunctionRegistry {
    /**
     * @throws SchedulerException.ModuleRejected when the module is too large, malformed, or imports anything outside
     *                                           the allowed WASI preview 1 functions
     */
    Deployment deploy(DeployRequest request);

    Optional<FunctionSpec> find(String tenant, FunctionName name);

    /** The tenant's functions ordered by name. */
    List<FunctionSpec> list(String tenant);

    /**
     * Sets ({@code assets} present) or removes the function's assets and changes nothing else, as one atomic write
     * of the stored record: a deploy racing with it keeps whichever assets the record holds when it commits (a deploy
     * never changes them), and this keeps the module the record holds when it writes.
     *
     * @return the record before and after, empty when the function does not exist
     */
    Optional<AssetsChange> attach(String tenant, FunctionName name, Optional<AttachedAssets> assets);

    /**
     * Sets the function's assets as {@link #attach(String, FunctionName, Optional)} does, for a tree whose bytes
     * must be where every process finds them: a registry over a shared store stores {@code archive} (the tree's
     * canonical archive, asked for only there) under the tree's digest and takes a reference to it in the same step
     * as the record changes, so the bytes are never deleted while a record names them; the disk registry needs no
     * bytes and never calls it.
     *
     * @param onlyWhenNone leave a record that already has assets as it is ({@link AssetsChange} with {@code before}
     *                     equal to {@code after}): an upgrade adopting an old tree must not replace a newer upload
     * @return the record before and after, empty when the function does not exist
     */
    Optional<AssetsChange> attach(String tenant, FunctionName name, AttachedAssets assets,
                                  java.util.function.Supplier<byte[]> archive, boolean onlyWhenNone);

    /** @return whether the function existed */
    boolean delete(String tenant, FunctionName name);

    /** Removes all of a tenant's functions (the tenant is being deleted). */
    void deleteAll(String tenant);

    /**
     * Whether new invocations of {@code function} run its compiled tier in this process now: true once the background
     * compile (or the load from the compiled cache) is done; false while it runs on the interpreter (compiling, its
     * compile failed, or its module not loaded since the start: the first call loads it). Empty where this process
     * compiles nothing (a gateway whose workers run the guests): it cannot know.
     */
    default Optional<Boolean> compiled(FunctionSpec function) {
        return Optional.empty();
    }

    /**
     * @param created  whether the function is new (rather than replaced)
     * @param compiled whether invocations run compiled code already; if not, they run on the interpreter until the
     *                 background compile is done (or for good, if it fails)
     */
    record Deployment(FunctionSpec spec, boolean created, boolean compiled) {}

    /** What {@link #attach} changed: the stored record before and after. */
    record AssetsChange(FunctionSpec before, FunctionSpec after) {
        public AssetsChange {
            Objects.requireNonNull(before, "before");
            Objects.requireNonNull(after, "after");
        }
    }
}
