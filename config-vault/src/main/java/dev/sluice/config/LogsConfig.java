package dev.sluice.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the access log goes, and the bounds of the tenant function logs (see docs/logs.md). Restart-only.
 *
 * @param accessLog              {@code off} (the default), {@code stdout} (either in any case), or a file path lines
 *                               are appended to; a relative path resolves against the working directory, not
 *                               {@code data-dir}
 * @param accessLogQueue         lines waiting for the writer at most; past it a line is dropped and counted
 * @param functionLogsEntries    a function's newest log entries kept
 * @param functionLogsEntryBytes a guest's stderr kept per entry, in UTF-8 bytes
 * @param functionLogsTenantBytes all of a tenant's entries together, as counted in docs/logs.md
 * @param functionLogsRetentionMs how long an entry is kept at most
 */
public record LogsConfig(String accessLog, int accessLogQueue, int functionLogsEntries, int functionLogsEntryBytes,
                         long functionLogsTenantBytes, long functionLogsRetentionMs) {
    static final List<String> KEYS = List.of("access-log", "access-log-queue", "function-logs-entries",
            "function-logs-entry-bytes", "function-logs-tenant-bytes", "function-logs-retention-ms");
    /**
     * What one function-log entry costs beside its text (the gateway's {@code LogEntry.OVERHEAD_BYTES}): a tenant's
     * cap must hold at least one full entry.
     */
    static final long ENTRY_OVERHEAD_BYTES = 256;

    public LogsConfig {
        if (accessLog == null || accessLog.isBlank()) {
            throw new ConfigException("access-log: '" + accessLog + "' (expected: off, stdout or a file path)");
        }
        // Any case: "OFF" must not become a file named OFF. A file of that name is written as "./OFF".
        if (accessLog.equalsIgnoreCase("off") || accessLog.equalsIgnoreCase("stdout")) {
            accessLog = accessLog.toLowerCase(Locale.ROOT);
        }
        range("access-log-queue", accessLogQueue, 1, 1_000_000);
        range("function-logs-entries", functionLogsEntries, 1, 10_000);
        range("function-logs-entry-bytes", functionLogsEntryBytes, 1, 1 << 20);
        long oneEntry = ENTRY_OVERHEAD_BYTES + 2L * functionLogsEntryBytes;
        range("function-logs-tenant-bytes", functionLogsTenantBytes, oneEntry, 1L << 30);
        range("function-logs-retention-ms", functionLogsRetentionMs, 1_000, 7L * 24 * 3_600_000);
    }

    static LogsConfig from(Map<String, String> raw, String source) {
        return new LogsConfig(raw.getOrDefault("access-log", "off"),
                integer(raw, source, "access-log-queue", 8192),
                integer(raw, source, "function-logs-entries", 100),
                integer(raw, source, "function-logs-entry-bytes", 8192),
                number(raw, source, "function-logs-tenant-bytes", 1L << 20),
                number(raw, source, "function-logs-retention-ms", 3_600_000));
    }

    /** Whether an access log is written. */
    public boolean accessLogEnabled() {
        return !accessLog.equals("off");
    }

    Map<String, String> asMap() {
        return Map.of("access-log", accessLog, "access-log-queue", Integer.toString(accessLogQueue),
                "function-logs-entries", Integer.toString(functionLogsEntries),
                "function-logs-entry-bytes", Integer.toString(functionLogsEntryBytes),
                "function-logs-tenant-bytes", Long.toString(functionLogsTenantBytes),
                "function-logs-retention-ms", Long.toString(functionLogsRetentionMs));
    }

    private static long number(Map<String, String> raw, String source, String key, long fallback) {
        String value = raw.get(key);
        return value == null ? fallback : SluiceConfig.parseLong(source, key, value);
    }

    private static int integer(Map<String, String> raw, String source, String key, int fallback) {
        long value = number(raw, source, key, fallback);
        if (value != (int) value) {
            throw new ConfigException(source + ": " + key + ": " + value + " (expected: a 32-bit integer)");
        }
        return (int) value;
    }

    private static void range(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(key + ": " + value + " (expected: " + min + ".." + max + ")");
        }
    }
}
