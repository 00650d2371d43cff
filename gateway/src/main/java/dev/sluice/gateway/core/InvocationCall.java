package dev.sluice.gateway.core;

import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationObserver;
import dev.sluice.scheduler.InvocationRequest;

/**
 * The protocol side of one invocation, asked by {@link Invocations} at the step that needs it: the request is read
 * only once the function is known to exist and the caller may use it, and before any quota is taken, so an
 * oversized body costs no quota. Its exceptions (a body too large, a broken connection) pass through unchanged.
 */
public interface InvocationCall {
    /** The guest's input (stdin, arguments, environment) for {@code function}, as it will run. */
    InvocationRequest request(FunctionSpec function);

    /**
     * Every quota admitted the call, which now runs. The edge may announce {@code quotas} at once: whatever the
     * dispatch then ends with (a result, a trap, an overloaded pool), the call was counted against them.
     */
    default void admitted(QuotaReport quotas) {}

    /** Told when the admitted call leaves its queue and how long it runs (traces, metrics). */
    default InvocationObserver observer() {
        return InvocationObserver.NONE;
    }
}
