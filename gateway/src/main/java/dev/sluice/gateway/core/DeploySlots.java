package dev.sluice.gateway.core;

import dev.sluice.tenancy.TenantId;
import java.util.function.Supplier;

/**
 * Where deploys run and how many each tenant may have in progress. The gateway's implementation
 * ({@code DeployAdmission}) runs them on a few platform threads with a fair share per tenant; its refusals (the
 * tenant has its share in progress, every deploy thread is busy, the gateway is stopping) are its own exceptions and
 * pass through the core unchanged.
 */
public interface DeploySlots {
    /** Admits one deploy of {@code tenant}, or throws its refusal. Cheap: called before the module is read. */
    Slot admit(TenantId tenant);

    /** An admitted deploy, used by the one thread that took it and closed in {@code finally}. */
    interface Slot extends AutoCloseable {
        /** Runs {@code deploy} once the tenant's share allows, and waits for its result. */
        <T> T run(Supplier<T> deploy);

        @Override
        void close();
    }
}
