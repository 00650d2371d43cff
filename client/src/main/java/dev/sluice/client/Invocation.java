package dev.sluice.client;

import java.net.http.HttpHeaders;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What an invocation answered, whatever its status: a function's own 404 or 500 is its answer, not a client error.
 * {@link #problem()} is present when the answer is a problem document (Sluice refused or stopped the call: quota,
 * timeout, trap...). {@code fuelUsed} is {@code Sluice-Fuel-Used}, {@code invocationId} {@code Sluice-Invocation-Id}.
 */
public record Invocation(int status, HttpHeaders headers, byte[] body, OptionalLong fuelUsed,
                         Optional<String> invocationId, Optional<SluiceProblem> problem) {
    public boolean succeeded() {
        return status / 100 == 2;
    }
}
