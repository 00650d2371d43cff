package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The admin API ({@code /admin/v1}, with the admin token): tenants, plans, API keys, usage, live stats and the
 * configuration's state. Bodies of creates and updates are JSON objects of the API's members ({@code plan} and limit
 * keys, see README "HTTP API"), so new limit keys need no new client. Failures as in {@link SluiceClient}.
 * Thread-safe. Create with {@link #create}; {@link #close} when done.
 */
public final class AdminClient implements AutoCloseable {
    private final Http http;

    private AdminClient(Http http) {
        this.http = http;
    }

    public static AdminClient create(URI url, String adminToken) {
        return new AdminClient(new Http(url, adminToken));
    }

    /** Ends the client's connections and its selector thread (waiting for calls in progress). */
    @Override
    public void close() {
        http.close();
    }

    public String address() {
        return http.address();
    }

    /** An empty JSON object to fill in as a create or update body. */
    public ObjectNode body() {
        return Json.NODES.objectNode();
    }

    public Listing<TenantInfo> tenants() {
        return http.list("/admin/v1/tenants", "tenants", TenantInfo::from);
    }

    public TenantInfo tenant(String tenant) {
        return TenantInfo.from(http.call("GET", "/admin/v1/tenants/" + Http.segment(tenant), null));
    }

    /** Creates or updates a tenant ({@code plan}, limit keys as overrides, {@code null} removing one). */
    public Put<TenantInfo> putTenant(String tenant, ObjectNode body) {
        return put("/admin/v1/tenants/" + Http.segment(tenant), body, TenantInfo::from);
    }

    /** Deletes a tenant with its keys and functions. */
    public void deleteTenant(String tenant) {
        http.call("DELETE", "/admin/v1/tenants/" + Http.segment(tenant), null);
    }

    /** The tenant's functions, as the tenant API lists them. */
    public Listing<FunctionInfo> tenantFunctions(String tenant) {
        return http.list("/admin/v1/tenants/" + Http.segment(tenant) + "/functions", "functions", FunctionInfo::from);
    }

    public Usage tenantUsage(String tenant, OptionalInt days) {
        return Usage.from(http.call("GET", "/admin/v1/tenants/" + Http.segment(tenant) + "/usage"
                + Http.days(days), null));
    }

    /** Every tenant's usage summed over the last {@code days} UTC days (the server's default, 1, when empty). */
    public UsageSummary usage(OptionalInt days) {
        return UsageSummary.from(http.call("GET", "/admin/v1/usage"
                + Http.days(days), null));
    }

    public Listing<PlanInfo> plans() {
        return http.list("/admin/v1/plans", "plans", PlanInfo::from);
    }

    public PlanInfo plan(String plan) {
        return PlanInfo.from(http.call("GET", "/admin/v1/plans/" + Http.segment(plan), null));
    }

    /** Creates a plan (limit keys left out come from the defaults) or updates one (they keep their value). */
    public Put<PlanInfo> putPlan(String plan, ObjectNode limits) {
        return put("/admin/v1/plans/" + Http.segment(plan), limits, PlanInfo::from);
    }

    public void deletePlan(String plan) {
        http.call("DELETE", "/admin/v1/plans/" + Http.segment(plan), null);
    }

    public Listing<KeyInfo> keys(String tenant) {
        return http.list("/admin/v1/tenants/" + Http.segment(tenant) + "/keys", "keys", KeyInfo::from);
    }

    /** Issues a key: {@code name}, and optionally {@code scopes}, {@code functions}, {@code expires-at}. */
    public IssuedKey issueKey(String tenant, ObjectNode request) {
        return IssuedKey.from(http.call("POST", "/admin/v1/tenants/" + Http.segment(tenant) + "/keys", request));
    }

    /** Rotates a key; the old one keeps working for {@code overlapSeconds} (the server's default when empty). */
    public IssuedKey rotateKey(String tenant, String id, OptionalLong overlapSeconds) {
        ObjectNode body = body();
        overlapSeconds.ifPresent(s -> body.put("overlap-seconds", s));
        return IssuedKey.from(http.call("POST", "/admin/v1/tenants/" + Http.segment(tenant) + "/keys/"
                + Http.segment(id) + "/rotate", body));
    }

    public void revokeKey(String tenant, String id) {
        http.call("DELETE", "/admin/v1/tenants/" + Http.segment(tenant) + "/keys/" + Http.segment(id), null);
    }

    public Stats stats() {
        return Stats.from(http.call("GET", "/admin/v1/stats", null));
    }

    /** Where the configuration comes from and its state, as sent (its shape is the server's to extend). */
    public JsonNode config() {
        return http.call("GET", "/admin/v1/config", null);
    }

    /** A create-or-update's answer: {@code created} when the server made it (201), false when it updated it (200). */
    public record Put<T>(boolean created, T value) {}

    private <T> Put<T> put(String path, ObjectNode body, Function<JsonNode, T> parse) {
        var request = http.request(path).header("Accept", "application/json")
                .header("Content-Type", "application/json")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body.toString())).build();
        var response = http.checked(http.send(request));
        return new Put<>(response.statusCode() == 201, parse.apply(http.parse(response)));
    }
}
