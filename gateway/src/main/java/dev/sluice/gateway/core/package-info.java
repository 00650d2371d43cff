/**
 * The gateway's decisions, free of HTTP: who is let in ({@link dev.sluice.gateway.core.TenantAccess}), whether and
 * how an invocation runs ({@link dev.sluice.gateway.core.Invocations}) and whether a deploy is taken
 * ({@link dev.sluice.gateway.core.Deploys}). Each chain is one method read top to bottom (authenticate, resolve the
 * tenant, rate quota; then scope, function, request, invocation quotas, dispatch, settle, account) and answers with a
 * value ({@link dev.sluice.gateway.core.Access}, {@link dev.sluice.gateway.core.InvocationOutcome},
 * {@link dev.sluice.gateway.core.DeployOutcome}) carrying a {@link dev.sluice.gateway.core.Refusal} and the
 * {@link dev.sluice.gateway.core.QuotaReport} when it says no.
 *
 * <p>The protocol edge (today {@code TenantGate} and {@code FunctionService} over Helidon) parses the request,
 * answers the chain's questions about it ({@link dev.sluice.gateway.core.InvocationCall},
 * {@link dev.sluice.gateway.core.DeployCall}) at the step that needs them, and renders the outcome; refusals become
 * problem documents in {@code ErrorMapper}, the one place that renders problems. Execution resources stay behind
 * small seams the edge implements ({@link dev.sluice.gateway.core.InFlight},
 * {@link dev.sluice.gateway.core.DeploySlots}, {@link dev.sluice.gateway.core.AuthFailures}); their refusals, and
 * the scheduler's and the quota stores' exceptions, pass through unchanged. Nothing here imports Helidon, Jackson or
 * the gateway's HTTP packages ({@code CoreIsHttpFreeTest} checks).
 */
package dev.sluice.gateway.core;
