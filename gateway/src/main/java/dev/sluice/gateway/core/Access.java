package dev.sluice.gateway.core;

import java.util.Objects;

/** The front door's decision on one request: a {@link Caller} to serve, or a refusal with its quota report. */
public sealed interface Access {
    record Granted(Caller caller) implements Access {
        public Granted {
            Objects.requireNonNull(caller, "caller");
        }
    }

    /** {@code quotas} is empty when the request was refused before its tenant was known. */
    record Denied(Refusal refusal, QuotaReport quotas) implements Access {
        public Denied {
            Objects.requireNonNull(refusal, "refusal");
            Objects.requireNonNull(quotas, "quotas");
        }
    }
}
