package dev.sluice.gateway.core;

import dev.sluice.scheduler.FunctionRegistry;
import java.util.Objects;

/** How one deploy ended, for the protocol edge to render. */
public sealed interface DeployOutcome {
    /** Stored and compiled; {@code deployment.created()} tells a new function from a replaced one. */
    record Deployed(FunctionRegistry.Deployment deployment) implements DeployOutcome {
        public Deployed {
            Objects.requireNonNull(deployment, "deployment");
        }
    }

    /** Not deployed, before the module was read. */
    record Refused(Refusal refusal) implements DeployOutcome {
        public Refused {
            Objects.requireNonNull(refusal, "refusal");
        }
    }
}
