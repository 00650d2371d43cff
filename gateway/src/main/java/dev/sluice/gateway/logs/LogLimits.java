package dev.sluice.gateway.logs;

import dev.sluice.config.LogsConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * The bounds of a gateway's function logs, the same for every tenant.
 *
 * @param entriesPerFunction the ring: a function's newest entries kept
 * @param stderrBytesPerEntry a guest's stderr kept per entry, in UTF-8 bytes (cut on a character boundary)
 * @param bytesPerTenant all of a tenant's entries together, counted as {@link LogEntry#cost()}; over it the
 *                       tenant's oldest entries go first, whichever function they belong to. With the fixed overhead
 *                       per entry it also bounds how many functions a tenant has entries for.
 * @param retention how long an entry is kept at most
 * @param streamsPerTenant concurrent {@code follow} streams per tenant on this gateway
 * @param streamDuration how long one stream stays open before the gateway closes it (the client reconnects)
 * @param heartbeat how often an idle stream sends a comment, so proxies keep it and a gone client is noticed
 */
public record LogLimits(int entriesPerFunction, int stderrBytesPerEntry, long bytesPerTenant, Duration retention,
                        int streamsPerTenant, Duration streamDuration, Duration heartbeat) {
    public LogLimits {
        positive("entries-per-function", entriesPerFunction);
        positive("stderr-bytes-per-entry", stderrBytesPerEntry);
        positive("bytes-per-tenant", bytesPerTenant);
        positive("streams-per-tenant", streamsPerTenant);
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(streamDuration, "streamDuration");
        Objects.requireNonNull(heartbeat, "heartbeat");
        positive("retention", retention);
        positive("stream-duration", streamDuration);
        positive("heartbeat", heartbeat);
        if (bytesPerTenant < LogEntry.OVERHEAD_BYTES + 2L * stderrBytesPerEntry) {
            throw new IllegalArgumentException("bytes-per-tenant: " + bytesPerTenant + " (expected: >= "
                    + (LogEntry.OVERHEAD_BYTES + 2L * stderrBytesPerEntry) + ", one full entry)");
        }
    }

    /** 100 entries per function, 8 KiB of stderr per entry, 1 MiB and one hour per tenant, 4 streams of 10 min. */
    public static LogLimits defaults() {
        return new LogLimits(100, 8192, 1 << 20, Duration.ofHours(1), 4, Duration.ofMinutes(10),
                Duration.ofSeconds(15));
    }

    /**
     * The configured bounds ({@code function-logs-*}, validated there) with the default streams. The configuration's
     * smallest tenant cap is one full entry, as here.
     */
    public static LogLimits of(LogsConfig config) {
        LogLimits defaults = defaults();
        return new LogLimits(config.functionLogsEntries(), config.functionLogsEntryBytes(),
                config.functionLogsTenantBytes(), Duration.ofMillis(config.functionLogsRetentionMs()),
                defaults.streamsPerTenant(), defaults.streamDuration(), defaults.heartbeat());
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }

    private static void positive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }
}
