package dev.sluice.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.gateway.core.Caller;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.metrics.SluiceMetrics;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.http.Requests;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeySpec;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.managed.DeclaredTenant;
import dev.sluice.tenancy.managed.ManagedObjects;
import dev.sluice.tenancy.managed.ManagedTenancy;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.PlanStore;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.usage.UsageLedger;
import dev.sluice.tenancy.usage.UsageSummary;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The provider's API for tenants, their keys and usage, behind the admin token. Mounted at {@code /admin/v1}.
 *
 * <p>A tenant is a plan (optional) plus overrides: {@code PUT} sets {@code plan} and any limit key; on an update,
 * members left out keep their value and {@code null} removes a plan or an override. The tenant's effective limits are
 * its plan's (or the configured defaults) with its overrides on top, resolved on every request.
 *
 * <p>Tenants and keys declared outside (in Vault) show {@code "managed-by": "vault"} and cannot be changed here: a
 * change or deletion of a declared tenant answers 409 {@code managed-elsewhere}, checked before the body is read or
 * anything is removed (a deletion removes the tenant's functions before its record); a declared key's revocation or
 * rotation is refused by the key store itself, before it changes anything.
 *
 * <p>For the provider's overview (the console, the CLI): every tenant's usage summed over days ({@code /usage}), a
 * tenant's functions ({@code /tenants/{tenant}/functions}) and this process's live counters ({@code /stats}).
 */
final class AdminService implements HttpService {
    private static final long MAX_BODY = 64 * 1024;
    private static final Set<String> KEY_FIELDS = Set.of("name", "expires-at", "scopes", "functions");
    private static final Set<String> ROTATE_FIELDS = Set.of("overlap-seconds", "expires-at");
    private static final long DEFAULT_OVERLAP_SECONDS = 3600;

    private final AdminAuth auth;
    private final TenantStore tenants;
    private final PlanStore plans;
    private final ApiKeys keys;
    private final Quotas quotas;
    private final FunctionRegistry functions;
    private final Supplier<TenantLimits> defaults;
    private final ManagedObjects managed;
    private final SluiceMetrics metrics;
    private final InstantSource clock;

    AdminService(AdminAuth auth, TenantStore tenants, PlanStore plans, ApiKeys keys, Quotas quotas,
                 FunctionRegistry functions, Supplier<TenantLimits> defaults, ManagedObjects managed,
                 SluiceMetrics metrics, InstantSource clock) {
        this.metrics = metrics;
        this.clock = clock;
        this.auth = auth;
        this.tenants = tenants;
        this.plans = plans;
        this.keys = keys;
        this.quotas = quotas;
        this.functions = functions;
        this.defaults = defaults;
        this.managed = managed;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any(auth)
                .get("/tenants", this::listTenants)
                .put("/tenants/{tenant}", this::putTenant)
                .get("/tenants/{tenant}", this::getTenant)
                .delete("/tenants/{tenant}", this::deleteTenant)
                .post("/tenants/{tenant}/keys", this::issueKey)
                .get("/tenants/{tenant}/keys", this::listKeys)
                .delete("/tenants/{tenant}/keys/{id}", this::revokeKey)
                .post("/tenants/{tenant}/keys/{id}/rotate", this::rotateKey)
                .get("/tenants/{tenant}/usage", this::usage)
                .get("/tenants/{tenant}/functions", this::listFunctions)
                .get("/usage", this::usageSummary)
                .get("/stats", this::stats);
    }

    private void listTenants(ServerRequest req, ServerResponse res) {
        ArrayNode items = Json.object().arrayNode();
        tenants.list().forEach(t -> items.add(representation(t)));
        ObjectNode body = Json.object();
        body.set("tenants", items);
        send(res, Status.OK_200, body);
    }

    private void putTenant(ServerRequest req, ServerResponse res) {
        TenantId id = tenantId(req);
        refuseManagedTenant(id);
        ObjectNode body = Json.parseObject(Requests.jsonBody(req, MAX_BODY));
        Optional<Tenant> current = tenants.find(id);
        Optional<String> plan = current.flatMap(Tenant::plan);
        JsonNode planField = body.get("plan");
        if (planField != null) {
            if (!planField.isNull() && !planField.isTextual()) {
                throw ProblemException.of(ProblemType.INVALID_REQUEST, "plan: " + planField
                        + " (expected: a plan name or null)");
            }
            plan = planField.isNull() ? Optional.empty() : Optional.of(planField.asText());
        }
        LimitOverrides overrides = LimitsJson.merge(current.map(Tenant::overrides).orElse(LimitOverrides.none()),
                body, Set.of("plan"));
        TenantStore.PutResult result = tenants.put(id, plan, overrides);
        send(res, result.created() ? Status.CREATED_201 : Status.OK_200, representation(result.tenant()));
    }

    private void getTenant(ServerRequest req, ServerResponse res) {
        send(res, Status.OK_200, representation(existing(tenantId(req))));
    }

    /**
     * Deletes the tenant and everything kept for it. Keys first: from then on the tenant can no longer call in while
     * its functions are removed. A failure up to the tenant record's removal answers with the error and leaves the
     * tenant in place, so the provider can simply retry. Quota state is forgotten last and best-effort: it is keyed by
     * the tenant's uid, as are its keys and functions, so a tenant created again under the name never reaches any of
     * it, whatever step failed.
     */
    private void deleteTenant(ServerRequest req, ServerResponse res) {
        Tenant tenant = existing(tenantId(req));
        refuseManagedTenant(tenant.id());
        keys.revokeAll(tenant.uid());
        functions.deleteAll(Caller.functionOwner(tenant));
        tenants.delete(tenant.id());
        quotas.forget(tenant.uid());
        res.status(Status.NO_CONTENT_204).send();
    }

    private void issueKey(ServerRequest req, ServerResponse res) {
        Tenant tenant = existing(tenantId(req));
        TenantId id = tenant.id();
        ObjectNode body = Json.parseObject(Requests.jsonBody(req, MAX_BODY));
        rejectUnknown(body, KEY_FIELDS);
        JsonNode name = body.get("name");
        if (name == null || !name.isTextual()) {
            throw ProblemException.of(ProblemType.INVALID_REQUEST, "name: required (expected: a string)");
        }
        KeySpec spec = KeySpec.named(name.asText()).expiringAt(instant(body, "expires-at"));
        JsonNode scopes = body.get("scopes");
        if (scopes != null && !scopes.isNull()) {
            Set<Scope> parsed = EnumSet.noneOf(Scope.class);
            strings(scopes, "scopes").forEach(s -> parsed.add(Scope.parse(s)));
            spec = spec.withScopes(parsed);
        }
        JsonNode restriction = body.get("functions");
        if (restriction != null && !restriction.isNull()) {
            spec = spec.withFunctions(strings(restriction, "functions"));
        }
        IssuedKey issued = keys.issue(tenant.uid(), spec);
        res.header("Location", "/admin/v1/tenants/" + id + "/keys/" + issued.metadata().id());
        send(res, Status.CREATED_201, Representations.issued(issued));
    }

    private void rotateKey(ServerRequest req, ServerResponse res) {
        Tenant tenant = existing(tenantId(req));
        TenantId id = tenant.id();
        String keyId = req.path().pathParameters().get("id");
        ObjectNode body = Json.parseObject(Requests.jsonBody(req, MAX_BODY));
        rejectUnknown(body, ROTATE_FIELDS);
        JsonNode overlap = body.get("overlap-seconds");
        long seconds = DEFAULT_OVERLAP_SECONDS;
        if (overlap != null) {
            if (!overlap.isIntegralNumber() || overlap.asLong() < 0 || overlap.asLong() > 30L * 86_400) {
                throw ProblemException.of(ProblemType.INVALID_REQUEST, "overlap-seconds: " + overlap
                        + " (expected: 0..2592000)");
            }
            seconds = overlap.asLong();
        }
        ApiKeys.Rotation rotation = keys.rotate(tenant.uid(), keyId, Duration.ofSeconds(seconds), instant(body, "expires-at"))
                .orElseThrow(() -> ProblemException.of(ProblemType.NOT_FOUND, "tenant " + id
                        + " has no live key " + safe(keyId)));
        ObjectNode node = Representations.issued(rotation.replacement());
        node.set("previous", Representations.key(rotation.previous()));
        res.header("Location", "/admin/v1/tenants/" + id + "/keys/" + rotation.replacement().metadata().id());
        send(res, Status.CREATED_201, node);
    }

    private void listKeys(ServerRequest req, ServerResponse res) {
        Tenant tenant = existing(tenantId(req));
        ArrayNode items = Json.object().arrayNode();
        keys.list(tenant.uid())
                .forEach(k -> items.add(managedBy(Representations.key(k), managed.keyManager(k.id()))));
        ObjectNode body = Json.object();
        body.set("keys", items);
        send(res, Status.OK_200, body);
    }

    private void revokeKey(ServerRequest req, ServerResponse res) {
        Tenant tenant = existing(tenantId(req));
        TenantId id = tenant.id();
        String keyId = req.path().pathParameters().get("id");
        if (!keys.revoke(tenant.uid(), keyId)) {
            throw ProblemException.of(ProblemType.NOT_FOUND, "tenant " + id + " has no key " + safe(keyId));
        }
        res.status(Status.NO_CONTENT_204).send();
    }

    private void usage(ServerRequest req, ServerResponse res) {
        Tenant tenant = existing(tenantId(req));
        send(res, Status.OK_200, Representations.usage(tenant.id(), quotas.usage().daily(tenant.uid(),
                usageDays(req))));
    }

    /**
     * Every tenant's usage summed over the last {@code days} UTC days, sorted by tenant name. One read of the tenants
     * and one of the ledger for all of them ({@code UsageLedger.summary}): bounded by tenants times days, never one
     * request per tenant.
     */
    private void usageSummary(ServerRequest req, ServerResponse res) {
        int days = usageDays(req);
        List<Tenant> all = tenants.list();
        UsageSummary summary = quotas.usage().summary(all.stream().map(Tenant::uid).toList(), days);
        send(res, Status.OK_200, Representations.usageSummary(days, summary, all));
    }

    /** The tenant's functions as the tenant API lists them, limits resolved from its plan and overrides now. */
    private void listFunctions(ServerRequest req, ServerResponse res) {
        Tenant tenant = existing(tenantId(req));
        TenantLimits limits = plans.resolve(tenant, defaults.get());
        send(res, Status.OK_200, Representations.functions(functions.list(Caller.functionOwner(tenant)), limits));
    }

    /** This process's live counters: cheap (a few adders), polled by the console every 2 s. */
    private void stats(ServerRequest req, ServerResponse res) {
        send(res, Status.OK_200, Representations.stats(clock.instant(), metrics.live()));
    }

    /**
     * The {@code days} query parameter of the usage endpoints: 1 (today, the default) to the retained history. Anything
     * else, an integer too large for a long included, is the same {@code invalid-request}.
     */
    static int usageDays(ServerRequest req) {
        if (!req.query().contains("days")) {
            return 1;
        }
        String raw = req.query().get("days");
        try {
            int days = Integer.parseInt(raw);
            if (days >= 1 && days <= UsageLedger.RETENTION_DAYS) {
                return days;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ProblemException.of(ProblemType.INVALID_REQUEST, "days: '" + safe(raw) + "' (expected: an integer 1.."
                + UsageLedger.RETENTION_DAYS + ")");
    }

    private ObjectNode representation(Tenant tenant) {
        return managedBy(Representations.tenant(tenant, plans.resolve(tenant, defaults.get())),
                managed.tenantManager(tenant.id()));
    }

    /** Adds {@code "managed-by"} to an object's representation when an outside source manages it. */
    static ObjectNode managedBy(ObjectNode node, Optional<String> manager) {
        manager.ifPresent(m -> node.put("managed-by", m));
        return node;
    }

    private void refuseManagedTenant(TenantId id) {
        Optional<String> manager = managed.tenantManager(id);
        if (manager.isPresent()) {
            Optional<String> source = managed instanceof ManagedTenancy declared
                    ? declared.declared().tenants().stream().filter(t -> t.tenant().id().equals(id))
                            .map(DeclaredTenant::source).findFirst()
                    : Optional.empty();
            throw managedElsewhere("tenant", id.value(), manager.get(), source);
        }
    }

    /** The refusal of an edit of an object managed elsewhere, worded as the managed stores word theirs. */
    static TenancyException.Managed managedElsewhere(String kind, String name, String manager,
                                                     Optional<String> source) {
        return new TenancyException.Managed(kind + " '" + name + "' is managed by " + manager
                + source.map(s -> " (" + s + ")").orElse("") + "; change it there", manager);
    }

    private Tenant existing(TenantId id) {
        return tenants.find(id)
                .orElseThrow(() -> ProblemException.of(ProblemType.NOT_FOUND, "no tenant " + id));
    }

    private static TenantId tenantId(ServerRequest req) {
        String raw = req.path().pathParameters().get("tenant");
        try {
            return TenantId.of(raw);
        } catch (RuntimeException e) {
            throw ProblemException.of(ProblemType.INVALID_NAME, e.getMessage());
        }
    }

    private static Optional<Instant> instant(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        try {
            if (value.isTextual()) {
                return Optional.of(Instant.parse(value.asText()));
            }
        } catch (DateTimeParseException ignored) {
            // reported below
        }
        throw ProblemException.of(ProblemType.INVALID_REQUEST,
                field + ": " + value + " (expected: an ISO-8601 instant like 2030-01-01T00:00:00Z)");
    }

    private static Set<String> strings(JsonNode array, String field) {
        if (!array.isArray()) {
            throw ProblemException.of(ProblemType.INVALID_REQUEST, field + ": " + array
                    + " (expected: an array of strings)");
        }
        Set<String> values = new LinkedHashSet<>();
        for (JsonNode item : array) {
            if (!item.isTextual()) {
                throw ProblemException.of(ProblemType.INVALID_REQUEST, field + ": " + item + " (expected: a string)");
            }
            values.add(item.asText());
        }
        return values;
    }

    private static void rejectUnknown(ObjectNode body, Set<String> known) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!known.contains(field)) {
                throw ProblemException.of(ProblemType.INVALID_REQUEST, "unknown field '" + safe(field)
                        + "' (expected one of: " + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    /** Echoes caller input into messages only in a bounded, printable form. */
    static String safe(String value) {
        if (value == null) {
            return "null";
        }
        return Requests.printable(value, 80);
    }

    static void send(ServerResponse res, Status status, JsonNode body) {
        res.status(status);
        res.header("Content-Type", "application/json");
        res.send(Json.bytes(body));
    }
}
