package dev.sluice.tenancy.usage;

import java.time.LocalDate;
import java.util.Objects;

/** One tenant's usage on one UTC day. */
public record DailyUsage(LocalDate day, long invocations, long errors, long throttles, long fuel) {
    public DailyUsage {
        Objects.requireNonNull(day, "day");
    }
}
