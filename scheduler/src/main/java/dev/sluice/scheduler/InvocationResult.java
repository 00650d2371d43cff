package dev.sluice.scheduler;

import java.time.Duration;

/**
 * A finished run: the guest returned from {@code _start} or called {@code proc_exit}.
 * Traps, timeouts and limit breaches are not results: they are {@link SchedulerException.InvocationFailed}.
 *
 * @param fuelUsed fuel the run used, the billing unit: the same module with the same input always uses the same
 */
public record InvocationResult(int exitCode, byte[] stdout, byte[] stderr, Duration elapsed, long fuelUsed) {}
