/**
 * Traces (docs/observability.md, "Traces"): one {@link dev.sluice.gateway.tracing.Tracing} per process over the
 * OpenTelemetry SDK, exported over OTLP/HTTP with the JDK's HTTP client; the HTTP filter that makes each request's
 * server span and answers with its trace id; decorators (keys, quotas, registry, dispatcher) that add child spans
 * without the core or the stores knowing. Nothing here is global: no {@code GlobalOpenTelemetry}. With
 * {@code tracing = off} nothing is decorated and no filter is installed.
 */
package dev.sluice.gateway.tracing;
