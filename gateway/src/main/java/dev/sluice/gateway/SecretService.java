package dev.sluice.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.config.secrets.SecretName;
import dev.sluice.config.secrets.SecretValue;
import dev.sluice.config.secrets.SecretVersion;
import dev.sluice.gateway.core.Refusal;
import dev.sluice.gateway.http.ErrorMapper;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.http.Requests;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.tenancy.auth.Scope;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Iterator;
import java.util.Objects;

/**
 * A function's secrets in the tenant API, routed by {@link FunctionService} behind its {@link TenantGate}:
 * {@code PUT /v1/functions/{name}/secrets/{NAME}} with {@code {"value": "..."}} (deploy scope), {@code GET
 * /v1/functions/{name}/secrets} (read scope), {@code DELETE /v1/functions/{name}/secrets/{NAME}} (deploy scope).
 * Write-only: answers show a secret's name, version and when it was written, never its value; a request's value is
 * never echoed, not even in the problem for a malformed body. The function must exist and be the caller's: another
 * tenant's function is "not found", as on every function route. Secrets are kept under the tenant's uid
 * ({@code Caller.registryKey()}), so a tenant created again under a deleted one's name finds none of them.
 */
final class SecretService {
    /** Room for the largest value ({@value SecretValue#MAX_BYTES} bytes) with any JSON escaping of it, no more. */
    static final long MAX_BODY = 64 * 1024;

    private final FunctionRegistry functions;
    private final FunctionSecrets secrets;

    SecretService(FunctionRegistry functions, FunctionSecrets secrets) {
        this.functions = Objects.requireNonNull(functions, "functions");
        this.secrets = Objects.requireNonNull(secrets, "secrets");
    }

    void put(ServerRequest req, ServerResponse res) {
        FunctionName function = existing(req, Scope.DEPLOY);
        SecretName name = secretName(req);
        SecretValue value = value(Requests.jsonBody(req, MAX_BODY));
        SecretVersion written = secrets.put(owner(req), function.value(), name, value);
        if (functions.find(owner(req), function).isEmpty()) {
            // Deleted while this was written: its deletion may have removed its secrets before this one came.
            secrets.deleteAll(owner(req), function.value());
            throw ErrorMapper.problem(new Refusal.FunctionNotFound(function));
        }
        res.header("Location", "/v1/functions/" + function + "/secrets/" + name);
        send(res, written.version() == 1 ? Status.CREATED_201 : Status.OK_200, representation(written));
    }

    void list(ServerRequest req, ServerResponse res) {
        FunctionName function = existing(req, Scope.READ);
        ArrayNode items = Json.object().arrayNode();
        secrets.list(owner(req), function.value()).forEach(v -> items.add(representation(v)));
        ObjectNode body = Json.object();
        body.set("secrets", items);
        send(res, Status.OK_200, body);
    }

    void delete(ServerRequest req, ServerResponse res) {
        FunctionName function = existing(req, Scope.DEPLOY);
        SecretName name = secretName(req);
        if (!secrets.delete(owner(req), function.value(), name)) {
            throw ProblemException.of(ProblemType.NOT_FOUND, "function " + function + " has no secret " + name);
        }
        res.status(Status.NO_CONTENT_204).send();
    }

    /** The route's function, after the key's scope and function restriction are checked: the caller's own. */
    private FunctionName existing(ServerRequest req, Scope scope) {
        FunctionName function = FunctionService.name(req);
        TenantGate.require(req, scope, function.value());
        if (functions.find(owner(req), function).isEmpty()) {
            throw ErrorMapper.problem(new Refusal.FunctionNotFound(function));
        }
        return function;
    }

    private static String owner(ServerRequest req) {
        return TenantGate.callerOf(req).registryKey();
    }

    private static SecretName secretName(ServerRequest req) {
        return SecretName.of(req.path().pathParameters().get("secret"));
    }

    /** {@code {"value": "..."}} and nothing else; what is wrong is named, the body never quoted. */
    private static SecretValue value(byte[] body) {
        ObjectNode json;
        try {
            json = Json.parseObject(body);
        } catch (ProblemException malformed) {
            // The parser's message may quote the body, which may be the value itself.
            throw ProblemException.of(ProblemType.INVALID_REQUEST, "body: not a JSON object (expected: "
                    + "{\"value\": \"...\"})");
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!field.equals("value")) {
                throw ProblemException.of(ProblemType.INVALID_REQUEST, "unknown field '" + AdminService.safe(field)
                        + "' (expected: value)");
            }
        }
        JsonNode value = json.get("value");
        if (value == null || !value.isTextual()) {
            throw ProblemException.of(ProblemType.INVALID_REQUEST, "value: " + (value == null ? "missing" : "not a "
                    + "string") + " (expected: {\"value\": \"...\"})");
        }
        return SecretValue.of(value.textValue());
    }

    private static ObjectNode representation(SecretVersion version) {
        ObjectNode node = Json.object();
        node.put("name", version.name().value());
        node.put("version", version.version());
        node.put("updated-at", version.updatedAt().toString());
        return node;
    }

    private static void send(ServerResponse res, Status status, ObjectNode body) {
        res.header("Cache-Control", "no-store");
        AdminService.send(res, status, body);
    }
}
