package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;

import java.util.Optional;

/**
 * A tenant's fuel per UTC day, across every gateway sharing the store. Before dispatch the call's whole fuel limit is
 * reserved; after it, the reservation is settled with the fuel really used and the rest is refunded. So a tenant can
 * never exceed its budget, however many calls are in flight.
 */
public interface FuelBudget {
    /**
     * Reserves {@code amount} fuel of today's {@code budgetPerDay}.
     *
     * @throws TenancyException.QuotaStoreUnavailable when a shared store cannot answer in time (fail-closed)
     */
    FuelDecision reserve(TenantUid tenant, long budgetPerDay, long amount);

    /**
     * Forgets the tenant's fuel used (settling a reservation still open is harmless) (it was deleted). Shared stores delete what they hold and may throw
     * {@link TenancyException.QuotaStoreUnavailable}: what is left then is unreachable (a tenant created again under
     * the name has another uid) and expires by itself.
     */
    void forget(TenantUid tenant);

    /** Settles a reservation: {@code used} is charged, the rest refunded. Idempotent; never throws. */
    interface Reservation {
        void settle(long used);
    }

    /**
     * @param remaining    fuel left today after this reservation (when granted) or now (when denied)
     * @param resetSeconds seconds until the budget starts afresh (next UTC midnight)
     * @param reservation  present exactly when granted
     */
    record FuelDecision(boolean granted, long budget, long remaining, long resetSeconds,
                        Optional<Reservation> reservation) {}
}
