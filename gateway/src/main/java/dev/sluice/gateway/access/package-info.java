/**
 * The access log: one JSON line per request on the main port ({@link dev.sluice.gateway.access.AccessLog}), written
 * off the request threads through a bounded queue ({@link dev.sluice.gateway.access.AccessLogWriter}).
 */
package dev.sluice.gateway.access;
