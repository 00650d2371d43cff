package dev.sluice.gateway.core;

import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.SchedulerException;
import java.util.Locale;
import java.util.Objects;

/**
 * How one invocation ended, for the protocol edge to render. Every outcome but {@link Refused} ran the guest: its fuel
 * is settled against the day's budget and the call is in the tenant's usage before the outcome is returned.
 */
public sealed interface InvocationOutcome {
    /**
     * A kind (a failure's, a rejection's reason) as the one slug traces and problems show: {@code FUEL_EXHAUSTED} is
     * {@code fuel-exhausted}.
     */
    static String slug(Enum<?> kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The guest exited with 0; {@code result} holds its output. */
    record Completed(FunctionSpec function, InvocationResult result) implements InvocationOutcome {
        public Completed {
            Objects.requireNonNull(function, "function");
            Objects.requireNonNull(result, "result");
        }
    }

    /** The guest ran to its end but exited with a non-zero code: the function failed, not the platform. */
    record Exited(FunctionSpec function, InvocationResult result) implements InvocationOutcome {
        public Exited {
            Objects.requireNonNull(function, "function");
            Objects.requireNonNull(result, "result");
            if (result.exitCode() == 0) {
                throw new IllegalArgumentException("exit code: 0 (expected: != 0)");
            }
        }
    }

    /** The guest was stopped: it trapped, ran past its timeout or broke a limit ({@code failure} says which). */
    record Failed(FunctionSpec function, SchedulerException.InvocationFailed failure) implements InvocationOutcome {
        public Failed {
            Objects.requireNonNull(function, "function");
            Objects.requireNonNull(failure, "failure");
        }
    }

    /** The guest did not run; {@code quotas} is what the call was counted against up to the refusal. */
    record Refused(Refusal refusal, QuotaReport quotas) implements InvocationOutcome {
        public Refused {
            Objects.requireNonNull(refusal, "refusal");
            Objects.requireNonNull(quotas, "quotas");
        }
    }
}
