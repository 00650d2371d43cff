package dev.sluice.tenancy.quota;

/**
 * The outcome of asking for one request's worth of rate quota. Admission is a value, not an exception.
 *
 * @param granted           whether the request may proceed
 * @param quota             the policy's quota: requests per window (the burst capacity)
 * @param windowSeconds     the policy window
 * @param remaining         requests left now, after this one if granted
 * @param resetSeconds      seconds until the quota is fully available again
 * @param retryAfterSeconds when denied, seconds until one request would be admitted (at least 1); 0 when granted
 */
public record RateDecision(boolean granted, long quota, long windowSeconds, long remaining, long resetSeconds,
                           long retryAfterSeconds) {}
