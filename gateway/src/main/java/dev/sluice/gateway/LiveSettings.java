package dev.sluice.gateway;

import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.config.live.Candidate;
import dev.sluice.config.live.ConfigListener;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.quota.FailPolicy;
import java.util.Objects;

/**
 * The live configuration keys ({@link SluiceConfig#LIVE_KEYS}) that the request path reads: the {@code default-*}
 * limits of a tenant on no plan (and of a plan's fields left out), {@code default-timeout-ms} and the default
 * {@code quota-fail-policy} ({@code log-level} and {@code config-poll-ms} are the LiveConfig's own). Each reader asks on every request, so a change applied by the
 * {@link dev.sluice.config.live.LiveConfig} reaches the next request; a reader never sees half of a change, because
 * the values are swapped as one immutable snapshot.
 *
 * <p>Thread-safe: reads are a volatile load; {@link #prepare} runs on the refresh thread and its apply action only
 * swaps the snapshot, which cannot fail.
 */
final class LiveSettings implements ConfigListener {
    private volatile Snapshot current;

    private LiveSettings(Snapshot initial) {
        this.current = initial;
    }

    /** Settings from the configuration read at start, in force until the first apply. */
    static LiveSettings of(SluiceConfig config) {
        return new LiveSettings(snapshot(config));
    }

    /** The limits of a tenant on no plan with no overrides, and the base of a plan's omitted fields. */
    TenantLimits defaults() {
        return current.defaults();
    }

    /** A function's timeout when its deploy names none. */
    long defaultTimeoutMs() {
        return current.defaultTimeoutMs();
    }

    /** What the shared quotas do when Redis cannot answer, for tenants whose plan and overrides do not say. */
    FailPolicy quotaFailPolicy() {
        return current.quotaFailPolicy();
    }

    @Override
    public Runnable prepare(Candidate candidate) {
        Snapshot next = snapshot(candidate.config());
        return () -> current = next;
    }

    private static Snapshot snapshot(SluiceConfig config) {
        try {
            return new Snapshot(LimitsJson.defaults(config), config.defaultTimeoutMs(),
                    FailPolicy.parse(config.stores().quotaFailPolicy()));
        } catch (TenancyException.InvalidInput e) {
            // SluiceConfig validates the same ranges; this is the net under a range that drifts apart.
            throw new ConfigException(e.getMessage());
        }
    }

    private record Snapshot(TenantLimits defaults, long defaultTimeoutMs, FailPolicy quotaFailPolicy) {
        Snapshot {
            Objects.requireNonNull(defaults, "defaults");
            Objects.requireNonNull(quotaFailPolicy, "quotaFailPolicy");
        }
    }
}
