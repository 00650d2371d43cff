/**
 * Tenant function logs, free of HTTP: {@link dev.sluice.gateway.logs.FunctionLogs} keeps, per tenant uid and
 * function, the newest entries ({@link dev.sluice.gateway.logs.LogEntry}: invocation id, time, status, outcome, fuel,
 * duration and the guest's stderr) within the {@link dev.sluice.gateway.logs.LogLimits}, and hands new ones to
 * followers; {@link dev.sluice.gateway.logs.FunctionsWithLogs} keeps it in step with deletions. The HTTP edge
 * ({@code LogService}) records invocations and serves them as JSON and Server-Sent Events. See docs/logs.md.
 */
package dev.sluice.gateway.logs;
