package dev.sluice.gateway.core;

import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.scheduler.Dispatcher;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationObserver;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.files.FunctionFiles;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.usage.UsageLedger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The invocation chain behind {@link TenantAccess} (which authenticated the caller and took its request rate), in
 * one method, {@link #invoke}: scope, function, limits, request, the function's secrets, invocation quotas (in-flight
 * slot, fuel reservation, counts), dispatch, then settle the fuel and account the call. Answers with an
 * {@link InvocationOutcome}.
 *
 * <p>What is not a decision passes through as the exception it is: the dispatcher's {@code Overloaded}, the
 * {@link InFlight}'s refusal while stopping, a quota store that is unavailable, the {@link InvocationCall}'s own, a
 * secrets backend that cannot give the function's secrets (the function does not run without them).
 * Whatever ends the call, the slot is freed and the reservation settled. Of those only a worker lost during the call
 * ({@code WorkerLost}) is accounted, as a failed invocation without fuel: it may have run; the others never started.
 * Thread-safe.
 */
public final class Invocations {
    private static final System.Logger LOG = System.getLogger(Invocations.class.getName());
    private static final int STDERR_LOG_BYTES = 4096;
    private static final Pattern UNPRINTABLE = Pattern.compile("[^\\x20-\\x7e\\n\\t]");

    private final FunctionRegistry functions;
    private final Dispatcher dispatcher;
    private final InFlight inFlight;
    private final InvocationQuotas quotas;
    private final UsageLedger usage;
    private final FunctionSecrets secrets;
    private final FunctionFilesSource files;

    /** Invocations without files. */
    public Invocations(FunctionRegistry functions, Dispatcher dispatcher, InFlight inFlight, Quotas quotas,
                       FunctionSecrets secrets) {
        this(functions, dispatcher, inFlight, quotas, secrets, FunctionFilesSource.NONE);
    }

    public Invocations(FunctionRegistry functions, Dispatcher dispatcher, InFlight inFlight, Quotas quotas,
                       FunctionSecrets secrets, FunctionFilesSource files) {
        this.files = Objects.requireNonNull(files, "files");
        this.secrets = Objects.requireNonNull(secrets, "secrets");
        this.functions = Objects.requireNonNull(functions, "functions");
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
        this.quotas = new InvocationQuotas(Objects.requireNonNull(quotas, "quotas"));
        this.usage = quotas.usage();
    }

    public InvocationOutcome invoke(Caller caller, FunctionName name, InvocationCall call) {
        Optional<Refusal> forbidden = caller.check(Scope.INVOKE, name.value());
        if (forbidden.isPresent()) {
            return new InvocationOutcome.Refused(forbidden.get(), caller.quotas());
        }
        Optional<FunctionSpec> deployed = functions.find(caller.registryKey(), name);
        if (deployed.isEmpty()) {
            return new InvocationOutcome.Refused(new Refusal.FunctionNotFound(name), caller.quotas());
        }
        FunctionSpec function = withinLimits(deployed.get(), caller.limits());
        InvocationRequest request = withFiles(withSecrets(caller.registryKey(), function, call.request(function)),
                files.of(function, caller.limits()));
        Tenant tenant = caller.tenant();
        return switch (quotas.admit(tenant, caller.limits(), function, caller.quotas())) {
            case InvocationQuotas.Refused refused -> new InvocationOutcome.Refused(refused.refusal(), refused.quotas());
            case InvocationQuotas.Admitted admitted -> {
                call.admitted(admitted.quotas());
                yield run(tenant.uid(), function, request, admitted.ticket(), call.observer());
            }
        };
    }

    /**
     * The request with the function's secrets added to its environment, before any quota is taken (a backend that
     * cannot answer costs the tenant nothing). The one place they are added, for local and remote dispatch alike.
     * Secret names never collide with the CGI variables ({@code SecretName} refuses them); if one did, the request's
     * variable would win. The request's {@code toString} shows no value.
     */
    private InvocationRequest withSecrets(String owner, FunctionSpec function, InvocationRequest request) {
        Map<String, String> values = secrets.values(owner, function.name().value());
        if (values.isEmpty()) {
            return request;
        }
        Map<String, String> env = new LinkedHashMap<>(request.env());
        values.forEach(env::putIfAbsent);
        return new InvocationRequest(request.stdin(), request.args(), env, request.files());
    }

    /**
     * The request with the files it runs with, decided here and nowhere else: the function's assets and the plan's
     * scratch space, resolved on every call like the other limits (a plan change applies from the next call on).
     */
    private static InvocationRequest withFiles(InvocationRequest request, FunctionFiles files) {
        if (files.equals(request.files())) {
            return request;
        }
        return new InvocationRequest(request.stdin(), request.args(), request.env(), files);
    }

    /** Dispatches an admitted call, then settles its fuel (closing the ticket) and accounts it. */
    private InvocationOutcome run(TenantUid tenant, FunctionSpec function, InvocationRequest request,
                                  InvocationQuotas.Ticket admitted, InvocationObserver observer) {
        InvocationResult result;
        try (InvocationQuotas.Ticket ticket = admitted) {
            try {
                result = inFlight.run(() -> dispatcher.invoke(function, request, observer));
            } catch (SchedulerException.InvocationFailed e) {
                ticket.fuelUsed(e.fuelUsed());
                usage.invocation(tenant, true, e.fuelUsed());
                return new InvocationOutcome.Failed(function, e);
            } catch (SchedulerException.WorkerLost e) {
                // The call may have run on the worker before it went away, so it counts as a failed invocation
                // (a tenant cannot make lost calls free by killing workers, and usage matches what ran); its fuel
                // is unknown and the loss is the provider's, so none is charged.
                ticket.fuelUsed(0);
                usage.invocation(tenant, true, 0);
                throw e;
            }
            ticket.fuelUsed(result.fuelUsed());
        }
        usage.invocation(tenant, result.exitCode() != 0, result.fuelUsed());
        if (result.exitCode() != 0) {
            logStderr(function, result.stderr(), "exited with code " + result.exitCode());
            return new InvocationOutcome.Exited(function, result);
        }
        if (result.stderr().length > 0) {
            logStderr(function, result.stderr(), "wrote to stderr");
        }
        return new InvocationOutcome.Completed(function, result);
    }

    /**
     * The function as it may run now: its deployed memory, timeout and fuel, each capped by the tenant's current
     * maximum. Limits are resolved from the plan on every request, so a tenant moved to a smaller plan (or whose plan
     * shrank) runs its existing functions under the smaller limits from its next call on, without a redeploy; the
     * fuel reserved from the day and the slot's lease follow the capped values too.
     */
    public static FunctionSpec withinLimits(FunctionSpec function, TenantLimits limits) {
        int memoryPages = Math.min(function.memoryPages(), limits.maxMemoryPages());
        long timeoutMs = Math.min(function.timeoutMs(), limits.maxTimeoutMs());
        long fuel = Math.min(function.fuel(), limits.maxFuelPerCall());
        if (memoryPages == function.memoryPages() && timeoutMs == function.timeoutMs() && fuel == function.fuel()) {
            return function;
        }
        return new FunctionSpec(function.tenant(), function.name(), function.digest(), function.size(), memoryPages,
                timeoutMs, function.deployedAt(), fuel, function.assets());
    }

    /**
     * A guest's stderr is the tenant's diagnostics, not the provider's: it goes to the log at DEBUG, so a function
     * writing on every call cannot flood the provider's logs at the default level.
     */
    private static void logStderr(FunctionSpec function, byte[] stderr, String what) {
        if (!LOG.isLoggable(Level.DEBUG)) {
            return;
        }
        int length = Math.min(stderr.length, STDERR_LOG_BYTES);
        String text = UNPRINTABLE.matcher(new String(stderr, 0, length, StandardCharsets.UTF_8)).replaceAll("?");
        LOG.log(Level.DEBUG, "tenant " + function.tenant() + " function " + function.name() + " " + what
                + (text.isEmpty() ? "" : "; stderr: " + text + (stderr.length > length ? "..." : "")));
    }
}
