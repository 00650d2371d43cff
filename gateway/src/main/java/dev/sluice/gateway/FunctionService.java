package dev.sluice.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.http.ErrorMapper;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.http.Requests;
import dev.sluice.gateway.wagi.CgiResponse;
import dev.sluice.gateway.wagi.WagiEnvironment;
import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.Dispatcher;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.usage.UsageLedger;
import io.helidon.http.Header;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The tenant API, mounted at {@code /v1}: deploy, list and remove functions, and invoke them WAGI-style. Every route
 * sits behind the {@link TenantGate}, and a tenant only ever sees its own functions: lookups are keyed by the
 * authenticated tenant, so another tenant's function is simply "not found".
 */
final class FunctionService implements HttpService {
    private static final System.Logger LOG = System.getLogger(FunctionService.class.getName());
    private static final int STDERR_LOG_BYTES = 4096;
    private static final Pattern UNPRINTABLE = Pattern.compile("[^\\x20-\\x7e\\n\\t]");

    private final TenantGate gate;
    private final FunctionRegistry functions;
    private final Dispatcher dispatcher;
    private final DeployAdmission deploys;
    private final Drain drain;
    private final UsageLedger usage;
    private final InvocationAdmission admission;
    private final SluiceConfig config;

    FunctionService(TenantGate gate, FunctionRegistry functions, Dispatcher dispatcher, DeployAdmission deploys,
                    Drain drain, Quotas quotas, SluiceConfig config) {
        this.gate = gate;
        this.functions = functions;
        this.dispatcher = dispatcher;
        this.deploys = deploys;
        this.drain = drain;
        this.usage = quotas.usage();
        this.admission = new InvocationAdmission(quotas);
        this.config = config;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any(gate)
                .get("/functions", this::list)
                .put("/functions/{name}", this::deploy)
                .get("/functions/{name}", this::describe)
                .delete("/functions/{name}", this::remove)
                .any("/functions/{name}/invoke", this::invoke)
                .any("/functions/{name}/invoke/{+path}", this::invoke)
                .get("/usage", this::usage);
    }

    private void list(ServerRequest req, ServerResponse res) {
        KeyMetadata key = TenantGate.require(req, Scope.READ, null);
        ArrayNode items = Json.object().arrayNode();
        functions.list(tenant(req)).stream()
                .filter(f -> key.allowsFunction(f.name().value()))
                .forEach(f -> items.add(Representations.function(f, TenantGate.limitsOf(req))));
        ObjectNode body = Json.object();
        body.set("functions", items);
        AdminService.send(res, Status.OK_200, body);
    }

    private void usage(ServerRequest req, ServerResponse res) {
        TenantGate.require(req, Scope.READ, null);
        Tenant tenant = TenantGate.tenantOf(req);
        AdminService.send(res, Status.OK_200,
                Representations.usage(tenant.id(), usage.daily(tenant.uid(), AdminService.usageDays(req))));
    }

    private void describe(ServerRequest req, ServerResponse res) {
        TenantGate.require(req, Scope.READ, name(req).value());
        AdminService.send(res, Status.OK_200, Representations.function(existing(req), TenantGate.limitsOf(req)));
    }

    private void remove(ServerRequest req, ServerResponse res) {
        FunctionName name = name(req);
        TenantGate.require(req, Scope.DEPLOY, name.value());
        if (!functions.delete(tenant(req), name)) {
            throw notFound(name);
        }
        res.status(Status.NO_CONTENT_204).send();
    }

    private void deploy(ServerRequest req, ServerResponse res) {
        Tenant tenant = TenantGate.tenantOf(req);
        FunctionName name = name(req);
        TenantGate.require(req, Scope.DEPLOY, name.value());
        TenantLimits limits = TenantGate.limitsOf(req);
        requireRoomFor(tenant, name, limits);
        int memoryPages = (int) capped(req, "memory-pages", limits.maxMemoryPages(), limits.maxMemoryPages());
        long timeoutMs = capped(req, "timeout-ms", Math.min(config.defaultTimeoutMs(), limits.maxTimeoutMs()),
                limits.maxTimeoutMs());
        long fuel = capped(req, "fuel", limits.maxFuelPerCall(), limits.maxFuelPerCall());
        Requests.requireContentType(req, "application/wasm");
        long maxBytes = limits.maxModuleBytes();
        FunctionRegistry.Deployment deployment;
        // Admitted before the module is read: a tenant over its share of deploys costs no buffering.
        try (DeployAdmission.Ticket ticket = deploys.admit(tenant.id())) {
            byte[] module = Requests.body(req, maxBytes, ProblemType.MODULE_REJECTED, "module");
            DeployRequest request = new DeployRequest(functionOwner(tenant), name, module, memoryPages, timeoutMs,
                    maxBytes, fuel, limits.maxFunctions());
            // Compiling is CPU-bound: it runs on the deploy threads so it never pins the virtual threads' carriers.
            deployment = drain.run(() -> ticket.run(() -> functions.deploy(request)));
        }
        String location = "/v1/functions/" + name;
        res.header("Location", location);
        AdminService.send(res, deployment.created() ? Status.CREATED_201 : Status.OK_200,
                Representations.function(deployment.spec()));
    }

    /**
     * A new function must fit in the tenant's {@code max-functions}; replacing one always does. Checked here to
     * spare the compile; the registry checks again, atomically, for concurrent deploys.
     */
    private void requireRoomFor(Tenant tenant, FunctionName name, TenantLimits limits) {
        if (limits.maxFunctions() <= 0 || functions.find(functionOwner(tenant), name).isPresent()) {
            return;
        }
        int count = functions.list(functionOwner(tenant)).size();
        if (count >= limits.maxFunctions()) {
            throw ProblemException.of(ProblemType.FUNCTION_LIMIT, "tenant " + tenant.id() + " has " + count
                    + " functions, the most its plan allows").with("max-functions", limits.maxFunctions());
        }
    }

    private static long capped(ServerRequest req, String parameter, long fallback, long max) {
        long value = Requests.positiveQueryLong(req, parameter).orElse(fallback);
        if (value > max) {
            throw ProblemException.of(ProblemType.INVALID_REQUEST,
                    parameter + ": " + value + " (expected: <= " + max + ", the tenant's maximum)").with("max", max);
        }
        return value;
    }

    /**
     * The invocation chain after the gate's authentication and rate quota: scope, function, body, invocation
     * quotas, in-flight slot and fuel reservation, dispatch, then settle and account.
     */
    private void invoke(ServerRequest req, ServerResponse res) {
        TenantGate.require(req, Scope.INVOKE, name(req).value());
        FunctionSpec function = InvocationAdmission.withinLimits(existing(req), TenantGate.limitsOf(req));
        byte[] body = Requests.body(req, config.maxRequestBytes(), ProblemType.PAYLOAD_TOO_LARGE, "request body");
        InvocationRequest invocation = wagiRequest(req, function, body);
        Tenant tenant = TenantGate.tenantOf(req);
        QuotaHeaders quotaHeaders = TenantGate.quotaHeadersOf(req);
        InvocationResult result;
        try (InvocationAdmission.Ticket ticket = admission.admit(tenant, TenantGate.limitsOf(req), function,
                quotaHeaders)) {
            quotaHeaders.applyTo(res);
            try {
                result = drain.run(() -> dispatcher.invoke(function, invocation));
            } catch (SchedulerException.InvocationFailed e) {
                ticket.fuelUsed(e.fuelUsed());
                usage.invocation(tenant.uid(), true, e.fuelUsed());
                throw e;
            }
            ticket.fuelUsed(result.fuelUsed());
        }
        usage.invocation(tenant.uid(), result.exitCode() != 0, result.fuelUsed());
        res.header(ErrorMapper.FUEL_USED_HEADER, Long.toString(result.fuelUsed()));
        if (result.exitCode() != 0) {
            logStderr(function, result.stderr(), "exited with code " + result.exitCode());
            throw ProblemException.of(ProblemType.FUNCTION_FAILED,
                            "function " + function.name() + " exited with code " + result.exitCode())
                    .with("exit-code", result.exitCode())
                    .with("fuel-used", result.fuelUsed())
                    .header(ErrorMapper.FUEL_USED_HEADER, Long.toString(result.fuelUsed()));
        }
        if (result.stderr().length > 0) {
            logStderr(function, result.stderr(), "wrote to stderr");
        }
        CgiResponse response;
        try {
            response = CgiResponse.parse(result.stdout());
        } catch (CgiResponse.InvalidCgiResponse e) {
            throw ProblemException.of(ProblemType.INVALID_FUNCTION_RESPONSE, e.getMessage());
        }
        FunctionResponses.send(res, response, function);
    }

    private static InvocationRequest wagiRequest(ServerRequest req, FunctionSpec function, byte[] body) {
        String script = "/v1/functions/" + function.name() + "/invoke";
        String raw = req.path().absolute().path();
        String pathInfo = raw.length() > script.length() ? raw.substring(script.length()) : "/";
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (Header header : req.headers()) {
            headers.put(header.name(), header.allValues());
        }
        String contentType = req.headers().contentType().map(t -> t.text()).orElse("");
        Map<String, String> env = WagiEnvironment.of(req.prologue().method().text(), script, pathInfo,
                req.query().rawValue(), contentType, body.length, req.requestedUri().host(),
                req.localPeer().port(), req.remotePeer().host(), headers);
        return new InvocationRequest(body, List.of(function.name().value()), env);
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

    private FunctionSpec existing(ServerRequest req) {
        FunctionName name = name(req);
        return functions.find(tenant(req), name).orElseThrow(() -> notFound(name));
    }

    private static ProblemException notFound(FunctionName name) {
        return ProblemException.of(ProblemType.NOT_FOUND, "no function " + name);
    }

    private static String tenant(ServerRequest req) {
        return functionOwner(TenantGate.tenantOf(req));
    }

    /**
     * Who owns a tenant's functions in the scheduler: this creation of the tenant, so a tenant created again under a
     * deleted one's name never finds the functions it left, even where removing them failed.
     */
    static String functionOwner(Tenant tenant) {
        return tenant.uid().value();
    }

    private static FunctionName name(ServerRequest req) {
        String raw = req.path().pathParameters().get("name");
        try {
            return FunctionName.of(raw);
        } catch (SchedulerException.InvalidInput e) {
            throw ProblemException.of(ProblemType.INVALID_NAME, e.getMessage());
        }
    }
}
