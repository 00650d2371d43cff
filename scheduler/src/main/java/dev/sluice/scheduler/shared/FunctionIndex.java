package dev.sluice.scheduler.shared;

import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.FunctionSpec;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Function metadata shared by every gateway and worker, and which module digests the functions reference. The
 * shared registry validates modules and keeps their bytes in a {@link ModuleStore}; this seam only keeps the index,
 * with each method one atomic step (Redis implements them as Lua scripts).
 *
 * <p>Module lifetime: a digest is referenced by each function using it and by each deploy that has {@link #reserve
 * reserved} it (a reservation expires on its own, so a deploy that died leaks nothing for long). A step that drops
 * a digest's last reference returns it as <em>orphaned</em> and marks it as being deleted; the caller then deletes
 * the bytes and calls {@link #deleted}. While the mark is set, {@link #reserve} refuses the digest, so a deploy can
 * never store a function whose module bytes are being deleted under it.
 */
public interface FunctionIndex {
    Optional<FunctionSpec> find(String tenant, FunctionName name);

    /** The tenant's functions ordered by name. */
    List<FunctionSpec> list(String tenant);

    /**
     * References {@code digest} on behalf of a deploy about to store its bytes, until {@link #commit} or
     * {@link #release} with the same token, or until {@code ttl} has passed.
     *
     * @return false while the digest's bytes are being deleted (try again shortly)
     */
    boolean reserve(String digest, String token, Duration ttl);

    /**
     * Stores the function (replacing one of the same name) unless the reservation {@code token} is no longer alive
     * (it expired: the bytes may have been deleted since, see {@link Commit.Outcome#RESERVATION_LOST}), the owner's
     * functions were {@link #deleteAll deleted} ({@link Commit.Outcome#OWNER_DELETED}), or it is new and the tenant
     * already has {@code maxFunctions} (0: no limit); drops the reservation either way. A replaced function keeps
     * the assets its stored record has ({@code spec}'s own are ignored: a deploy never changes them).
     */
    Commit commit(FunctionSpec spec, String token, long maxFunctions);

    /**
     * Sets or removes the function's assets, nothing else, in one atomic step ({@link FunctionRegistry#attach}).
     * {@link #commit} of a function that exists keeps the assets the stored record has. Asset trees have the
     * modules' lifetime in the same store: each function whose record names a tree references its digest, this step
     * moves the function's reference from the tree it had to the new one, and returns the old one as orphaned when
     * that was its last reference (the caller deletes the bytes and calls {@link #deleted}).
     *
     * @param token        the {@link #reserve reservation} of the new tree's digest, taken before its bytes were
     *                     stored, dropped either way as {@link #commit} does ({@link Attach.Outcome#RESERVATION_LOST}
     *                     when it expired); empty when the caller stored no bytes (removing, or in tests)
     * @param onlyWhenNone leave a record that already has assets as it is (before and after equal)
     */
    Attach attach(String tenant, FunctionName name, Optional<AttachedAssets> assets, Optional<String> token,
                  boolean onlyWhenNone);

    /** Drops a reservation (the deploy failed). @return the digest when it is now orphaned */
    Optional<String> release(String digest, String token);

    /** @return the removed function, and the digest when it is now orphaned */
    Removal delete(String tenant, FunctionName name);

    /**
     * Removes all of a tenant's functions because the tenant is being deleted: from then on every {@link #commit}
     * for it is refused, so a deploy validated before the deletion leaves nothing behind. Owners are never reused.
     */
    Removal deleteAll(String tenant);

    /** The orphaned digest's bytes are deleted: deploys may reserve it again. */
    void deleted(String digest);

    /**
     * @param outcome  whether the function was stored, and why not
     * @param created  whether it is new rather than a replacement
     * @param count    the tenant's function count when refused for its limit
     * @param orphaned digests no longer referenced (the replaced module, or the refused one)
     */
    record Commit(Outcome outcome, boolean created, long count, List<String> orphaned) {
        public Commit {
            Objects.requireNonNull(outcome, "outcome");
            orphaned = List.copyOf(orphaned);
        }

        public boolean stored() {
            return outcome == Outcome.STORED;
        }

        public enum Outcome {
            STORED,
            /** The tenant already has its most functions. */
            LIMIT_REACHED,
            /** The owner's functions were deleted (the tenant is gone). */
            OWNER_DELETED,
            /** The reservation expired before the commit: reserve, store the bytes and commit again. */
            RESERVATION_LOST
        }
    }

    /**
     * @param outcome  whether the record changed (or was left as it is: {@code onlyWhenNone}), and why not
     * @param change   the record before and after, when {@link Outcome#ATTACHED}
     * @param orphaned digests no longer referenced (the replaced tree, or the new one when it was not attached)
     */
    record Attach(Outcome outcome, Optional<FunctionRegistry.AssetsChange> change, List<String> orphaned) {
        public Attach {
            Objects.requireNonNull(outcome, "outcome");
            Objects.requireNonNull(change, "change");
            orphaned = List.copyOf(orphaned);
        }

        public enum Outcome {
            ATTACHED,
            /** No such function. */
            NOT_FOUND,
            /** The reservation expired before the step: reserve, store the bytes and attach again. */
            RESERVATION_LOST,
            /** The stored entry cannot be read; it is left as it is. */
            CORRUPT
        }
    }

    record Removal(List<FunctionSpec> removed, List<String> orphaned) {
        public Removal {
            removed = List.copyOf(removed);
            orphaned = List.copyOf(orphaned);
        }
    }
}
