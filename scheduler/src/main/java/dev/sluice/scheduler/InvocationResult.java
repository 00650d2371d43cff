package dev.sluice.scheduler;

import java.time.Duration;

/**
 * A finished run: the guest returned from {@code _start} or called {@code proc_exit}.
 * Traps, timeouts and limit breaches are not results: they are {@link SchedulerException.InvocationFailed}.
 */
public record InvocationResult(int exitCode, byte[] stdout, byte[] stderr, Duration elapsed) {}
