package dev.sluice.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.http.Requests;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.tenancy.AdminCredentials;
import dev.sluice.tenancy.ApiKeys;
import dev.sluice.tenancy.IssuedKey;
import dev.sluice.tenancy.PlanStore;
import dev.sluice.tenancy.RateLimiter;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantLimits;
import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.UsageLedger;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;

/** The provider's API: tenants and their keys, behind the admin token. Mounted at {@code /admin/v1}. */
final class AdminService implements HttpService {
    private static final long MAX_BODY = 64 * 1024;
    private static final Set<String> LIMIT_FIELDS = Set.of("requests-per-second", "burst", "max-memory-pages",
            "max-timeout-ms", "max-module-bytes", "max-fuel-per-call");
    private static final Set<String> KEY_FIELDS = Set.of("name", "expires-at");

    private final AdminCredentials admin;
    private final TenantStore tenants;
    private final PlanStore plans;
    private final ApiKeys keys;
    private final RateLimiter rateLimiter;
    private final FunctionRegistry functions;
    private final UsageLedger usage;
    private final SluiceConfig config;

    AdminService(AdminCredentials admin, TenantStore tenants, PlanStore plans, ApiKeys keys, RateLimiter rateLimiter,
                 FunctionRegistry functions, UsageLedger usage, SluiceConfig config) {
        this.admin = admin;
        this.tenants = tenants;
        this.plans = plans;
        this.keys = keys;
        this.rateLimiter = rateLimiter;
        this.functions = functions;
        this.usage = usage;
        this.config = config;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any(this::authenticate)
                .get("/tenants", this::listTenants)
                .put("/tenants/{tenant}", this::putTenant)
                .get("/tenants/{tenant}", this::getTenant)
                .delete("/tenants/{tenant}", this::deleteTenant)
                .post("/tenants/{tenant}/keys", this::issueKey)
                .get("/tenants/{tenant}/keys", this::listKeys)
                .delete("/tenants/{tenant}/keys/{id}", this::revokeKey)
                .get("/tenants/{tenant}/usage", this::usage);
    }

    private void authenticate(ServerRequest req, ServerResponse res) {
        if (!Requests.bearerToken(req).map(admin::verify).orElse(false)) {
            throw TenantGate.unauthorized("sluice-admin");
        }
        res.next();
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
        ObjectNode body = Json.parseObject(Requests.jsonBody(req, MAX_BODY));
        rejectUnknown(body, LIMIT_FIELDS);
        TenantLimits current = tenants.find(id).map(t -> plans.resolve(t, defaultLimits()))
                .orElseGet(this::defaultLimits);
        TenantLimits limits = TenantLimits.of(
                longField(body, "requests-per-second", current.requestsPerSecond()),
                longField(body, "burst", current.burst()),
                Math.toIntExact(Math.min(Integer.MAX_VALUE, longField(body, "max-memory-pages", current.maxMemoryPages()))),
                longField(body, "max-timeout-ms", current.maxTimeoutMs()),
                longField(body, "max-module-bytes", current.maxModuleBytes()),
                longField(body, "max-fuel-per-call", current.maxFuelPerCall()));
        TenantStore.PutResult result = tenants.put(id, limits);
        rateLimiter.forget(id);
        send(res, result.created() ? Status.CREATED_201 : Status.OK_200,
                Representations.tenant(result.tenant(), limits));
    }

    private TenantLimits defaultLimits() {
        return defaultLimits(config);
    }

    /** The limits of a tenant on no plan with no overrides. */
    static TenantLimits defaultLimits(SluiceConfig config) {
        return TenantLimits.of(config.defaultRequestsPerSecond(), config.defaultBurst(),
                config.defaultMaxMemoryPages(), config.defaultMaxTimeoutMs(), config.defaultMaxModuleBytes(),
                config.defaultMaxFuelPerCall());
    }

    private void getTenant(ServerRequest req, ServerResponse res) {
        send(res, Status.OK_200, representation(existing(tenantId(req))));
    }

    private void deleteTenant(ServerRequest req, ServerResponse res) {
        TenantId id = existing(tenantId(req)).id();
        // Keys first: from this moment on the tenant can no longer call in while its functions are removed.
        keys.revokeAll(id);
        functions.deleteAll(id.value());
        rateLimiter.forget(id);
        usage.forget(id);
        tenants.delete(id);
        res.status(Status.NO_CONTENT_204).send();
    }

    private void issueKey(ServerRequest req, ServerResponse res) {
        TenantId id = existing(tenantId(req)).id();
        ObjectNode body = Json.parseObject(Requests.jsonBody(req, MAX_BODY));
        rejectUnknown(body, KEY_FIELDS);
        JsonNode name = body.get("name");
        if (name == null || !name.isTextual()) {
            throw ProblemException.of(ProblemType.INVALID_REQUEST, "name: required (expected: a string)");
        }
        IssuedKey issued = keys.issue(id, name.asText(), expiresAt(body.get("expires-at")));
        ObjectNode node = Representations.key(issued.metadata());
        node.put("key", issued.secret());
        res.header("Location", "/admin/v1/tenants/" + id + "/keys/" + issued.metadata().id());
        send(res, Status.CREATED_201, node);
    }

    private static Optional<Instant> expiresAt(JsonNode value) {
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
                "expires-at: " + value + " (expected: an ISO-8601 instant like 2030-01-01T00:00:00Z)");
    }

    private void listKeys(ServerRequest req, ServerResponse res) {
        TenantId id = existing(tenantId(req)).id();
        ArrayNode items = Json.object().arrayNode();
        keys.list(id).forEach(k -> items.add(Representations.key(k)));
        ObjectNode body = Json.object();
        body.set("keys", items);
        send(res, Status.OK_200, body);
    }

    private void revokeKey(ServerRequest req, ServerResponse res) {
        TenantId id = existing(tenantId(req)).id();
        String keyId = req.path().pathParameters().get("id");
        if (!keys.revoke(id, keyId)) {
            throw ProblemException.of(ProblemType.NOT_FOUND, "tenant " + id + " has no key " + safe(keyId));
        }
        res.status(Status.NO_CONTENT_204).send();
    }

    private void usage(ServerRequest req, ServerResponse res) {
        TenantId id = existing(tenantId(req)).id();
        send(res, Status.OK_200, Representations.usage(id, usage.daily(id, usageDays(req))));
    }

    /** The {@code days} query parameter of the usage endpoints: 1 (today) to the retained history. */
    static int usageDays(ServerRequest req) {
        long days = Requests.positiveQueryLong(req, "days").orElse(1);
        if (days > 62) {
            throw ProblemException.of(ProblemType.INVALID_REQUEST, "days: " + days + " (expected: 1..62)");
        }
        return (int) days;
    }

    private ObjectNode representation(Tenant tenant) {
        return Representations.tenant(tenant, plans.resolve(tenant, defaultLimits()));
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

    private static void rejectUnknown(ObjectNode body, Set<String> known) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!known.contains(field)) {
                throw ProblemException.of(ProblemType.INVALID_REQUEST,
                        "unknown field '" + safe(field) + "' (expected one of: " + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static long longField(ObjectNode body, String field, long fallback) {
        JsonNode value = body.get(field);
        if (value == null) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw ProblemException.of(ProblemType.INVALID_REQUEST, field + ": " + value + " (expected: an integer)");
        }
        return value.asLong();
    }

    /** Echoes caller input into messages only in a bounded, printable form. */
    static String safe(String value) {
        if (value == null) {
            return "null";
        }
        String printable = value.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 80 ? printable.substring(0, 80) + "..." : printable;
    }

    static void send(ServerResponse res, Status status, JsonNode body) {
        res.status(status);
        res.header("Content-Type", "application/json");
        res.send(Json.bytes(body));
    }
}
