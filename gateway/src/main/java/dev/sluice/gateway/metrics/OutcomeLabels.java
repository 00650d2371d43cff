package dev.sluice.gateway.metrics;

import dev.sluice.gateway.core.InvocationOutcome;
import dev.sluice.gateway.core.Refusal;
import dev.sluice.gateway.metrics.SluiceMetrics.InvocationOutcomeKind;
import dev.sluice.gateway.metrics.SluiceMetrics.QuotaKind;
import dev.sluice.scheduler.SchedulerException;
import java.util.Optional;

/** The core's decisions as metric label values: the one place an outcome or a refusal is named for metrics. */
public final class OutcomeLabels {
    private OutcomeLabels() {
    }

    /** The {@code outcome} label of an answered invocation. */
    public static InvocationOutcomeKind of(InvocationOutcome outcome) {
        return switch (outcome) {
            case InvocationOutcome.Completed completed -> InvocationOutcomeKind.OK;
            case InvocationOutcome.Exited exited -> InvocationOutcomeKind.EXITED;
            case InvocationOutcome.Failed failed -> InvocationOutcomeKind.valueOf(failed.failure().kind().name());
            case InvocationOutcome.Refused refused -> quota(refused.refusal()).isPresent()
                    ? InvocationOutcomeKind.THROTTLED : InvocationOutcomeKind.REFUSED;
        };
    }

    /**
     * The {@code outcome} label of an invocation ended by an exception instead of an outcome: the pool full, a worker
     * lost, or anything else (a bad request body, a store away) as {@code error}.
     */
    public static InvocationOutcomeKind ofException(RuntimeException e) {
        return switch (e) {
            case SchedulerException.Overloaded overloaded -> InvocationOutcomeKind.OVERLOADED;
            case SchedulerException.WorkerLost lost -> InvocationOutcomeKind.WORKER_LOST;
            default -> InvocationOutcomeKind.ERROR;
        };
    }

    /** The fuel an outcome charged: what the guest burnt, 0 when it did not run. */
    public static long fuelUsed(InvocationOutcome outcome) {
        return switch (outcome) {
            case InvocationOutcome.Completed completed -> completed.result().fuelUsed();
            case InvocationOutcome.Exited exited -> exited.result().fuelUsed();
            case InvocationOutcome.Failed failed -> failed.failure().fuelUsed();
            case InvocationOutcome.Refused refused -> 0;
        };
    }

    /** The quota a refusal is, or empty for a refusal that is not a quota (a missing function, a scope). */
    public static Optional<QuotaKind> quota(Refusal refusal) {
        return switch (refusal) {
            case Refusal.RateLimited rate -> Optional.of(QuotaKind.RATE);
            case Refusal.ConcurrencyLimited concurrency -> Optional.of(QuotaKind.CONCURRENCY);
            case Refusal.FuelBudgetExhausted fuel -> Optional.of(QuotaKind.FUEL_DAY);
            case Refusal.InvocationQuotaExceeded count -> Optional.of(count.quota().equals("invocations-day")
                    ? QuotaKind.INVOCATIONS_DAY : QuotaKind.INVOCATIONS_MINUTE);
            default -> Optional.empty();
        };
    }
}
