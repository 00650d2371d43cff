package dev.sluice.gateway.core;

import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.plan.TenantLimits;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The deploy chain behind {@link TenantAccess}, in one method, {@link #deploy}: scope, room for a new function, the
 * requested limits capped by the tenant's maximums, the module's type, deploy admission, then read the module and
 * hand it to the registry (which validates, instruments and compiles it) on a deploy thread. Everything that can
 * refuse cheaply does so before the module is read. Answers with a {@link DeployOutcome}; the registry's refusals
 * (a rejected module, the function limit reached by a concurrent deploy) and the {@link DeploySlots}' pass through as
 * their exceptions. Thread-safe.
 */
public final class Deploys {
    private final FunctionRegistry functions;
    private final DeploySlots slots;
    private final InFlight inFlight;
    private final LongSupplier defaultTimeoutMs;

    /** @param defaultTimeoutMs a function's timeout when its deploy names none (the tenant's maximum caps it) */
    public Deploys(FunctionRegistry functions, DeploySlots slots, InFlight inFlight, long defaultTimeoutMs) {
        this(functions, slots, inFlight, constant(defaultTimeoutMs));
    }

    /** @param defaultTimeoutMs read per deploy: {@code default-timeout-ms} is a live key (validated > 0 there) */
    public Deploys(FunctionRegistry functions, DeploySlots slots, InFlight inFlight, LongSupplier defaultTimeoutMs) {
        this.functions = Objects.requireNonNull(functions, "functions");
        this.slots = Objects.requireNonNull(slots, "slots");
        this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
        this.defaultTimeoutMs = Objects.requireNonNull(defaultTimeoutMs, "defaultTimeoutMs");
    }

    private static LongSupplier constant(long defaultTimeoutMs) {
        if (defaultTimeoutMs <= 0) {
            throw new IllegalArgumentException("default-timeout-ms: " + defaultTimeoutMs + " (expected: > 0)");
        }
        return () -> defaultTimeoutMs;
    }

    public DeployOutcome deploy(Caller caller, FunctionName name, DeployCall call) {
        Optional<Refusal> forbidden = caller.check(Scope.DEPLOY, name.value());
        if (forbidden.isPresent()) {
            return new DeployOutcome.Refused(forbidden.get());
        }
        TenantLimits limits = caller.limits();
        Optional<Refusal> full = roomFor(caller, name);
        if (full.isPresent()) {
            return new DeployOutcome.Refused(full.get());
        }
        long memoryPages = call.parameter("memory-pages").orElse(limits.maxMemoryPages());
        if (memoryPages > limits.maxMemoryPages()) {
            return over("memory-pages", memoryPages, limits.maxMemoryPages());
        }
        long timeoutMs = call.parameter("timeout-ms").orElse(Math.min(defaultTimeoutMs.getAsLong(), limits.maxTimeoutMs()));
        if (timeoutMs > limits.maxTimeoutMs()) {
            return over("timeout-ms", timeoutMs, limits.maxTimeoutMs());
        }
        long fuel = call.parameter("fuel").orElse(limits.maxFuelPerCall());
        if (fuel > limits.maxFuelPerCall()) {
            return over("fuel", fuel, limits.maxFuelPerCall());
        }
        call.expectModule();
        long maxBytes = limits.maxModuleBytes();
        // Admitted before the module is read: a tenant over its share of deploys costs no buffering.
        try (DeploySlots.Slot slot = slots.admit(caller.tenant().id())) {
            byte[] module = call.module(maxBytes);
            DeployRequest request = new DeployRequest(caller.registryKey(), name, module,
                    (int) memoryPages, timeoutMs, maxBytes, fuel, limits.maxFunctions());
            // Compiling is CPU-bound: it runs on the deploy threads so it never pins the virtual threads' carriers.
            return new DeployOutcome.Deployed(inFlight.run(() -> slot.run(() -> functions.deploy(request))));
        }
    }

    /**
     * A new function must fit in the tenant's {@code max-functions}; replacing one always does. Checked here to spare
     * the compile; the registry checks again, atomically, for concurrent deploys.
     */
    private Optional<Refusal> roomFor(Caller caller, FunctionName name) {
        TenantLimits limits = caller.limits();
        String key = caller.registryKey();
        if (limits.maxFunctions() <= 0 || functions.find(key, name).isPresent()) {
            return Optional.empty();
        }
        int count = functions.list(key).size();
        if (count >= limits.maxFunctions()) {
            return Optional.of(new Refusal.FunctionLimitReached(caller.tenant().id(), count, limits.maxFunctions()));
        }
        return Optional.empty();
    }

    private static DeployOutcome over(String parameter, long value, long max) {
        return new DeployOutcome.Refused(new Refusal.OverMaximum(parameter, value, max));
    }
}
