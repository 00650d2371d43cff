package dev.sluice.tenancy.managed;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenancyStores;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.plan.PlanStore;

import java.lang.System.Logger.Level;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Plans, tenants and keys declared by an outside source (Vault) laid over the stores the admin API writes (files or
 * Redis). Each gateway polls the source itself and holds the declarations in memory only: nothing declared is written
 * to the base stores, so two gateways never fight over them and a gateway that sees a set late serves the previous
 * one until it does.
 *
 * <ul>
 *   <li>A declared object wins over a stored one of the same name (plan, tenant) or id (key), which stays hidden
 *       until the declaration goes; each such clash is logged once as a warning.</li>
 *   <li>Declared objects refuse writes here with {@link TenancyException.Managed} naming the manager and where to
 *       change them; stored objects stay editable. A stored plan that declared tenants are on cannot be deleted.</li>
 *   <li>A declared key verifies against its declared hash alone, never falling through to the base store (see
 *       {@link ManagedKeys}); its last use is kept in memory only.</li>
 *   <li>{@link #ready}, {@link #flush} and {@link #close} are the base stores'.</li>
 * </ul>
 *
 * <p>Threading: the declarations are one immutable {@link DeclaredSet} swapped atomically, so reads take no lock and
 * every read (a verify, a list) answers from one set, never from half of two. {@link #prepare} may run on any thread;
 * the caller applies the returned actions in the order it prepared them (LiveConfig does, on its one thread). A write
 * through the admin API checks the set in force when it runs: a stored plan deleted while a set that puts a declared
 * tenant on it is being applied leaves that tenant on the defaults, as any tenant whose plan went, and the next set is
 * refused until the plan is back.
 */
public final class ManagedTenancy implements TenancyStores, ManagedObjects {
    private static final System.Logger LOG = System.getLogger(ManagedTenancy.class.getName());

    private final TenancyStores base;
    private final String manager;
    private final AtomicReference<DeclaredSet> current = new AtomicReference<>(DeclaredSet.EMPTY);
    private final Clashes clashes;
    private final ManagedPlans plans;
    private final ManagedTenants tenants;
    private final ManagedKeys keys;

    private ManagedTenancy(TenancyStores base, String manager, InstantSource clock) {
        this.base = base;
        this.manager = manager;
        this.clashes = new Clashes(manager);
        this.plans = new ManagedPlans(base, current::get, manager, clashes);
        this.tenants = new ManagedTenants(base, current::get, manager, clashes);
        this.keys = new ManagedKeys(base, current::get, manager, clock, clashes);
    }

    /**
     * No declarations until the first {@link #prepare}d set is applied.
     *
     * @param base    the stores the admin API writes
     * @param manager the outside source's name, shown as {@code managed-by} ({@code vault})
     * @param clock   wall time, for declared keys' expiry and last use
     */
    public static ManagedTenancy over(TenancyStores base, String manager, InstantSource clock) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(clock, "clock");
        if (manager == null || manager.isBlank()) {
            throw new IllegalArgumentException("manager: '" + manager + "' (expected: the source's name, e.g. vault)");
        }
        return new ManagedTenancy(base, manager, clock);
    }

    /**
     * Checks {@code next} whole and returns the action that puts it in force in place of the current set. Nothing
     * changes until the action runs; the action cannot fail.
     *
     * @throws TenancyException.InvalidInput starting with the offending declaration's source and naming the field: a
     *         plan, tenant or key id declared twice, a tenant on a plan neither declared nor stored, a key of a tenant
     *         not declared
     */
    public Runnable prepare(Declarations next) {
        Objects.requireNonNull(next, "next");
        List<String> unverified = new ArrayList<>();
        DeclaredSet set = DeclaredSet.check(next, base.plans(), unverified::add);
        List<Runnable> clashChecks = clashChecks(current.get(), set);
        return () -> {
            current.set(set);
            keys.retain(set);
            clashes.retain(set);
            unverified.forEach(plan -> LOG.log(Level.WARNING, "plan '" + plan + "': declared tenants are on it and"
                    + " the tenancy store could not be asked whether it exists; they get the default limits until"
                    + " it can be found"));
            clashChecks.forEach(Runnable::run);
        };
    }

    /**
     * Looks up, in the base store, the names newly declared by {@code next}, so a clash is reported when it starts
     * rather than when someone lists. Best-effort: a base store that does not answer is not a reason to refuse.
     */
    private List<Runnable> clashChecks(DeclaredSet previous, DeclaredSet next) {
        List<Runnable> found = new ArrayList<>();
        try {
            next.plans.forEach((name, plan) -> {
                if (!previous.plans.containsKey(name) && base.plans().find(name).isPresent()) {
                    found.add(() -> clashes.seen("plan", name, plan.source()));
                }
            });
            next.tenants.forEach((name, tenant) -> {
                if (!previous.tenants.containsKey(name) && base.tenants().find(tenant.tenant().id()).isPresent()) {
                    found.add(() -> clashes.seen("tenant", name, tenant.source()));
                }
            });
        } catch (TenancyException.StoreUnavailable e) {
            // Listing finds any clash later.
        }
        return found;
    }

    /** The declarations in force ({@link Declarations#NONE} before the first set applies). */
    public Declarations declared() {
        return current.get().declarations;
    }

    @Override
    public TenantStore tenants() {
        return tenants;
    }

    @Override
    public PlanStore plans() {
        return plans;
    }

    @Override
    public ApiKeys keys() {
        return keys;
    }

    @Override
    public boolean ready() {
        return base.ready();
    }

    @Override
    public void flush() {
        base.flush();
    }

    @Override
    public void close() {
        base.close();
    }

    @Override
    public Optional<String> tenantManager(TenantId tenant) {
        return current.get().tenant(tenant).map(t -> manager);
    }

    @Override
    public Optional<String> planManager(String plan) {
        return plan != null && current.get().plans.containsKey(plan) ? Optional.of(manager) : Optional.empty();
    }

    @Override
    public Optional<String> keyManager(String keyId) {
        return keyId != null && current.get().keys.containsKey(keyId) ? Optional.of(manager) : Optional.empty();
    }
}
