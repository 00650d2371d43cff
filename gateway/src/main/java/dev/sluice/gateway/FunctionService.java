package dev.sluice.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.gateway.core.Caller;
import dev.sluice.gateway.core.DeployCall;
import dev.sluice.gateway.core.DeployOutcome;
import dev.sluice.gateway.core.FunctionFilesSource;
import dev.sluice.gateway.core.Deploys;
import dev.sluice.gateway.core.InvocationCall;
import dev.sluice.gateway.core.InvocationOutcome;
import dev.sluice.gateway.core.Invocations;
import dev.sluice.gateway.core.QuotaReport;
import dev.sluice.gateway.core.Refusal;
import dev.sluice.gateway.http.ErrorMapper;
import dev.sluice.gateway.metrics.OutcomeLabels;
import dev.sluice.gateway.metrics.SluiceMetrics;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.http.Requests;
import dev.sluice.gateway.wagi.CgiResponse;
import dev.sluice.gateway.wagi.WagiEnvironment;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.InvocationResult;
import dev.sluice.scheduler.SchedulerException;
import dev.sluice.scheduler.assets.AssetLimits;
import dev.sluice.scheduler.assets.AssetRejection;
import dev.sluice.scheduler.assets.AttachedAssets;
import dev.sluice.scheduler.assets.FunctionAssets;
import dev.sluice.scheduler.files.AssetMount;
import dev.sluice.scheduler.files.ScratchLimits;
import java.io.InputStream;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.usage.UsageLedger;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import dev.sluice.scheduler.InvocationObserver;

/**
 * The tenant API, mounted at {@code /v1}: deploy, list and remove functions, keep their secrets
 * ({@link SecretService}), and invoke them WAGI-style. Every route
 * sits behind the {@link TenantGate}, and a tenant only ever sees its own functions: lookups are keyed by the
 * authenticated tenant, so another tenant's function is simply "not found".
 *
 * <p>Deploys and invocations are decided by the core ({@link Deploys}, {@link Invocations}); this class parses the
 * request, answers the core's questions about it ({@link DeployCall}, {@link InvocationCall}) and renders the outcome.
 */
final class FunctionService implements HttpService {
    private final TenantGate gate;
    private final FunctionRegistry functions;
    private final Invocations invocations;
    private final Deploys deploys;
    private final UsageLedger usage;
    private final long maxRequestBytes;
    private final SecretService secrets;
    private final LogService logs;
    private final SluiceMetrics metrics;
    /** The same registry as {@code functions}, below its decorators: where assets are stored and attached. */
    private final FunctionsWithAssets assets;

    FunctionService(TenantGate gate, FunctionRegistry functions, Invocations invocations, Deploys deploys,
                    UsageLedger usage, long maxRequestBytes, SecretService secrets, LogService logs,
                    SluiceMetrics metrics, FunctionsWithAssets assets) {
        this.assets = assets;
        this.logs = logs;
        this.metrics = metrics;
        this.secrets = secrets;
        this.gate = gate;
        this.functions = functions;
        this.invocations = invocations;
        this.deploys = deploys;
        this.usage = usage;
        this.maxRequestBytes = maxRequestBytes;
    }

    @Override
    public void routing(HttpRules rules) {
        // Invocations first after the gate: every call is matched against the routes in this order, and none of the
        // others can match an invocation's path (their segments differ), so the order changes nothing else.
        rules.any(gate)
                .any("/functions/{name}/invoke", this::invoke)
                .any("/functions/{name}/invoke/{+path}", this::invoke)
                .get("/functions", this::list)
                .put("/functions/{name}", this::deploy)
                .get("/functions/{name}", this::describe)
                .delete("/functions/{name}", this::remove)
                .get("/functions/{name}/secrets", secrets::list)
                .put("/functions/{name}/secrets/{secret}", secrets::put)
                .delete("/functions/{name}/secrets/{secret}", secrets::delete)
                .get("/functions/{name}/logs", logs::read)
                .put("/functions/{name}/assets", this::putAssets)
                .get("/functions/{name}/assets", this::getAssets)
                .delete("/functions/{name}/assets", this::deleteAssets)
                .get("/usage", this::usage);
    }

    private void list(ServerRequest req, ServerResponse res) {
        KeyMetadata key = TenantGate.require(req, Scope.READ, null);
        List<FunctionSpec> visible = functions.list(tenant(req)).stream()
                .filter(f -> key.allowsFunction(f.name().value())).toList();
        AdminService.send(res, Status.OK_200, Representations.functions(visible, TenantGate.callerOf(req).limits()));
    }

    private void usage(ServerRequest req, ServerResponse res) {
        TenantGate.require(req, Scope.READ, null);
        Tenant tenant = TenantGate.callerOf(req).tenant();
        AdminService.send(res, Status.OK_200,
                Representations.usage(tenant.id(), usage.daily(tenant.uid(), AdminService.usageDays(req))));
    }

    private void describe(ServerRequest req, ServerResponse res) {
        TenantGate.require(req, Scope.READ, name(req).value());
        FunctionSpec function = existing(req);
        AdminService.send(res, Status.OK_200, Representations.compiled(
                Representations.function(function, TenantGate.callerOf(req).limits()), functions.compiled(function)));
    }

    private void remove(ServerRequest req, ServerResponse res) {
        FunctionName name = name(req);
        TenantGate.require(req, Scope.DEPLOY, name.value());
        if (!functions.delete(tenant(req), name)) {
            throw ErrorMapper.problem(new Refusal.FunctionNotFound(name));
        }
        res.status(Status.NO_CONTENT_204).send();
    }

    private void deploy(ServerRequest req, ServerResponse res) {
        FunctionName name = name(req);
        String tenant = TenantGate.callerOf(req).tenant().id().value();
        // When the module's last byte was read: the deploy's time is measured from there (not the upload).
        AtomicLong moduleRead = new AtomicLong(Long.MIN_VALUE);
        DeployOutcome outcome;
        try {
            outcome = deploys.deploy(TenantGate.callerOf(req), name, deployCall(req, moduleRead));
        } catch (RuntimeException e) {
            metrics.deployed(tenant, SluiceMetrics.DeployOutcomeKind.FAILED);
            timeDeploy(tenant, moduleRead);
            throw e;
        }
        timeDeploy(tenant, moduleRead);
        metrics.deployed(tenant, outcome instanceof DeployOutcome.Deployed
                ? SluiceMetrics.DeployOutcomeKind.DEPLOYED : SluiceMetrics.DeployOutcomeKind.REFUSED);
        switch (outcome) {
            case DeployOutcome.Refused refused -> throw ErrorMapper.problem(refused.refusal());
            case DeployOutcome.Deployed deployed -> {
                res.header("Location", "/v1/functions/" + name);
                FunctionRegistry.Deployment deployment = deployed.deployment();
                // What the deploy saw at the end of its compile budget, or later news: the compile may have ended since.
                var compiled = functions.compiled(deployment.spec()).map(now -> now || deployment.compiled());
                AdminService.send(res, deployment.created() ? Status.CREATED_201 : Status.OK_200,
                        Representations.compiled(Representations.function(deployment.spec()), compiled));
            }
        }
    }

    /**
     * Replaces the function's assets with the tar body ({@code application/x-tar}), read as it arrives and checked
     * against the tenant's {@code max-asset-bytes} and {@code max-asset-files} (see {@link FunctionAssets}); the
     * query's {@code path} (default {@code /assets}) and {@code writable} (default {@code false}) say where and how
     * the guest sees them ({@link AssetMount}). Only the function's assets change: a deploy racing with the upload
     * keeps them, and this keeps the deploy's module.
     */
    private void putAssets(ServerRequest req, ServerResponse res) {
        FunctionName name = name(req);
        TenantGate.require(req, Scope.DEPLOY, name.value());
        existing(req);
        AssetMount mount = mount(req);
        Requests.requireContentType(req, "application/x-tar");
        var limits = TenantGate.callerOf(req).limits();
        AssetLimits assetLimits = new AssetLimits(limits.maxAssetBytes(), limits.maxAssetFiles());
        if (limits.maxAssetBytes() == 0) {
            throw new SchedulerException.AssetsRejected(AssetRejection.TOO_LARGE,
                    "this plan allows no assets (max-asset-bytes: 0)");
        }
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > assetLimits.maxArchiveBytes()) {
            throw new SchedulerException.AssetsRejected(AssetRejection.TOO_LARGE,
                    "the archive's " + declared.getAsLong() + " bytes are over " + assetLimits.maxArchiveBytes()
                            + ", the most max-asset-bytes and max-asset-files allow with headers");
        }
        // What the plan grants each call now; a writable copy must fit it (a later, smaller plan fails the call).
        ScratchLimits scratch = FunctionFilesSource.scratchOf(limits);
        InputStream body = req.content().hasEntity() ? req.content().inputStream() : InputStream.nullInputStream();
        FunctionSpec after = assets.upload(tenant(req), name, body, assetLimits, mount, scratch)
                // Deleted while the archive was read: nothing was kept.
                .orElseThrow(() -> ErrorMapper.problem(new Refusal.FunctionNotFound(name)));
        AdminService.send(res, Status.OK_200, assetsJson(after.assets().orElseThrow()));
    }

    /** The query's mount; a bad {@code path} or {@code writable} is the client's error, with AssetMount's message. */
    private static AssetMount mount(ServerRequest req) {
        String path = req.query().contains("path") ? req.query().get("path") : AssetMount.DEFAULT.path();
        boolean writable = Requests.queryBoolean(req, "writable", raw -> Requests.printable(raw, 16)).orElse(false);
        try {
            return new AssetMount(path, writable);
        } catch (IllegalArgumentException e) {
            throw ProblemException.of(ProblemType.INVALID_REQUEST, e.getMessage());
        }
    }

    private void getAssets(ServerRequest req, ServerResponse res) {
        FunctionName name = name(req);
        TenantGate.require(req, Scope.READ, name.value());
        AttachedAssets attached = existing(req).assets().orElseThrow(() -> ProblemException.of(
                ProblemType.NOT_FOUND, "function '" + name + "' has no assets"));
        AdminService.send(res, Status.OK_200, assetsJson(attached));
    }

    private void deleteAssets(ServerRequest req, ServerResponse res) {
        FunctionName name = name(req);
        TenantGate.require(req, Scope.DEPLOY, name.value());
        // No such function: detach changes nothing and answers empty, the same 404 as a lookup first would.
        assets.detach(tenant(req), name).orElseThrow(() -> ErrorMapper.problem(new Refusal.FunctionNotFound(name)));
        res.status(Status.NO_CONTENT_204).send();
    }

    /** The fields and order of the stored form ({@link AttachedAssets.Stored}). */
    private static ObjectNode assetsJson(AttachedAssets attached) {
        return Json.tree(AttachedAssets.Stored.of(attached));
    }

    /** A deploy whose module was read is timed (validation, instrumentation, compile); one refused before is not. */
    private void timeDeploy(String tenant, AtomicLong moduleRead) {
        long read = moduleRead.get();
        if (read != Long.MIN_VALUE) {
            metrics.deployTimed(tenant, read);
        }
    }

    /** The deploy's limits from the query, its module from the body (declared {@code application/wasm}). */
    private DeployCall deployCall(ServerRequest req, AtomicLong moduleRead) {
        return new DeployCall() {
            @Override
            public OptionalLong parameter(String parameter) {
                return Requests.positiveQueryLong(req, parameter);
            }

            @Override
            public void expectModule() {
                Requests.requireContentType(req, "application/wasm");
            }

            @Override
            public byte[] module(long maxBytes) {
                byte[] module = Requests.body(req, maxBytes, ProblemType.MODULE_REJECTED, "module");
                moduleRead.set(metrics.start());
                return module;
            }
        };
    }

    /**
     * Every invocation gets an id, sent in {@value LogService#INVOCATION_ID_HEADER}; one that ran is recorded in the
     * function's logs under it with the status the client gets (a refused one never ran and is not).
     */
    private void invoke(ServerRequest req, ServerResponse res) {
        Caller caller = TenantGate.callerOf(req);
        String id = LogService.newInvocationId();
        res.header(LogService.INVOCATION_ID_HEADER, id);
        Instant started = logs.now();
        InvocationOutcome outcome;
        try {
            outcome = measured(caller, req, res);
        } catch (SchedulerException.WorkerLost e) {
            ProblemException problem = ErrorMapper.toProblem(e);
            try {
                functions.find(caller.registryKey(), name(req)).ifPresent(f -> logs.record(caller, f, id,
                        problem.type().status(), problem.type().slug(), 0, logs.millisSince(started), new byte[0]));
            } catch (RuntimeException lookup) {
                // The registry away as well: the entry is lost, never the client's answer (the lost worker).
            }
            throw problem.header(LogService.INVOCATION_ID_HEADER, id);
        }
        switch (outcome) {
            case InvocationOutcome.Refused refused ->
                    throw QuotaHeaders.applyTo(ErrorMapper.problem(refused.refusal()), refused.quotas())
                            .header(LogService.INVOCATION_ID_HEADER, id);
            case InvocationOutcome.Failed failed -> {
                ProblemException problem = ErrorMapper.toProblem(failed.failure());
                logs.record(caller, failed.function(), id, problem.type().status(), problem.type().slug(),
                        failed.failure().fuelUsed(), logs.millisSince(started), failed.failure().stderr());
                throw problem.header(LogService.INVOCATION_ID_HEADER, id);
            }
            case InvocationOutcome.Exited exited -> {
                InvocationResult result = exited.result();
                logs.record(caller, exited.function(), id, ProblemType.FUNCTION_FAILED.status(), "exited",
                        result.fuelUsed(), result.elapsed().toMillis(), result.stderr());
                throw functionFailed(res, exited.function(), result).header(LogService.INVOCATION_ID_HEADER, id);
            }
            case InvocationOutcome.Completed completed -> {
                InvocationResult result = completed.result();
                res.header(ErrorMapper.FUEL_USED_HEADER, Long.toString(result.fuelUsed()));
                CgiResponse response;
                try {
                    response = CgiResponse.parse(result.stdout());
                } catch (CgiResponse.InvalidCgiResponse e) {
                    ProblemType type = ProblemType.INVALID_FUNCTION_RESPONSE;
                    logs.record(caller, completed.function(), id, type.status(), type.slug(), result.fuelUsed(),
                            result.elapsed().toMillis(), result.stderr());
                    throw ProblemException.of(type, e.getMessage()).header(LogService.INVOCATION_ID_HEADER, id);
                }
                logs.record(caller, completed.function(), id, response.status(), "completed", result.fuelUsed(),
                        result.elapsed().toMillis(), result.stderr());
                FunctionResponses.send(res, response, completed.function());
            }
        }
    }

    /** The core's outcome, counted, timed and charged in the metrics by tenant (never by function: cardinality). */
    private InvocationOutcome measured(Caller caller, ServerRequest req, ServerResponse res) {
        String tenant = caller.tenant().id().value();
        long start = metrics.start();
        metrics.inFlight(tenant, 1);
        // Set once the call is admitted and dispatched (the core asks for its observer then).
        AtomicReference<SluiceMetrics.Queued> queued = new AtomicReference<>();
        InvocationOutcome outcome;
        try {
            outcome = invocations.invoke(caller, name(req), invocationCall(req, res, () -> {
                SluiceMetrics.Queued waiting = metrics.queued(tenant);
                queued.set(waiting);
                return waiting;
            }));
        } catch (RuntimeException e) {
            metrics.invoked(tenant, OutcomeLabels.ofException(e), 0, start);
            throw e;
        } finally {
            metrics.inFlight(tenant, -1);
            SluiceMetrics.Queued waiting = queued.get();
            if (waiting != null) {
                waiting.ended();
            }
        }
        metrics.invoked(tenant, OutcomeLabels.of(outcome), OutcomeLabels.fuelUsed(outcome), start);
        if (outcome instanceof InvocationOutcome.Refused refused) {
            OutcomeLabels.quota(refused.refusal()).ifPresent(quota -> metrics.throttled(tenant, quota));
        }
        return outcome;
    }

    /** The request as a WAGI invocation; once admitted, the response announces every quota the call was counted on. */
    private InvocationCall invocationCall(ServerRequest req, ServerResponse res,
                                          Supplier<InvocationObserver> metricsObserver) {
        return new InvocationCall() {
            @Override
            public InvocationRequest request(FunctionSpec function) {
                byte[] body = Requests.body(req, maxRequestBytes, ProblemType.PAYLOAD_TOO_LARGE, "request body");
                return wagiRequest(req, function, body);
            }

            @Override
            public void admitted(QuotaReport quotas) {
                QuotaHeaders.applyTo(res, quotas);
            }

            @Override
            public InvocationObserver observer() {
                return metricsObserver.get();
            }
        };
    }

    private static ProblemException functionFailed(ServerResponse res, FunctionSpec function, InvocationResult result) {
        res.header(ErrorMapper.FUEL_USED_HEADER, Long.toString(result.fuelUsed()));
        return ProblemException.of(ProblemType.FUNCTION_FAILED,
                        "function " + function.name() + " exited with code " + result.exitCode())
                .with("exit-code", result.exitCode())
                .with("fuel-used", result.fuelUsed())
                .header(ErrorMapper.FUEL_USED_HEADER, Long.toString(result.fuelUsed()));
    }

    private static InvocationRequest wagiRequest(ServerRequest req, FunctionSpec function, byte[] body) {
        String script = "/v1/functions/" + function.name() + "/invoke";
        String raw = req.path().absolute().path();
        String pathInfo = raw.length() > script.length() ? raw.substring(script.length()) : "/";
        String contentType = req.headers().contentType().map(t -> t.text()).orElse("");
        WagiEnvironment.Builder env = WagiEnvironment.builder(req.prologue().method().text(), script, pathInfo,
                req.query().rawValue(), contentType, body.length, serverName(req), req.localPeer().port(),
                req.remotePeer().host());
        for (Header header : req.headers()) {
            env.header(header.name(), header.allValues());
        }
        return new InvocationRequest(body, List.of(function.name().value()), env.build());
    }

    /**
     * The host of {@code req.requestedUri()} as Helidon derives it with requested-URI discovery off (Sluice never
     * turns it on): the {@code Host} header without its port (an IPv6 literal keeps its brackets), or the local
     * address when there is none. Read here because the whole {@code UriInfo} Helidon builds for it (path, query,
     * scheme) cost more than the rest of the CGI environment.
     */
    static String serverName(ServerRequest req) {
        var host = req.headers().first(HeaderNames.HOST);
        if (host.isEmpty()) {
            return req.localPeer().address() instanceof InetSocketAddress local ? local.getHostString()
                    : req.requestedUri().host();
        }
        String authority = host.get();
        int colon = authority.lastIndexOf(':');
        if (colon < 1 || authority.charAt(authority.length() - 1) == ']') {
            return authority;
        }
        Integer.parseInt(authority, colon + 1, authority.length(), 10); // as Helidon: a port that is no number throws
        return authority.substring(0, colon);
    }

    private FunctionSpec existing(ServerRequest req) {
        FunctionName name = name(req);
        return functions.find(tenant(req), name)
                .orElseThrow(() -> ErrorMapper.problem(new Refusal.FunctionNotFound(name)));
    }

    private static String tenant(ServerRequest req) {
        return TenantGate.callerOf(req).registryKey();
    }

    static FunctionName name(ServerRequest req) {
        String raw = req.path().pathParameters().get("name");
        try {
            return FunctionName.of(raw);
        } catch (SchedulerException.InvalidInput e) {
            throw ProblemException.of(ProblemType.INVALID_NAME, e.getMessage());
        }
    }
}
