package dev.sluice.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.gateway.core.Invocations;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.metrics.LiveCounters;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.usage.DailyUsage;
import dev.sluice.tenancy.usage.UsageSummary;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The JSON shapes of the API's resources; member names are kebab-case, like the configuration keys. */
final class Representations {
    private Representations() {}

    /** A tenant with its effective limits (resolved from its plan and overrides by the caller). */
    static ObjectNode tenant(Tenant tenant, TenantLimits limits) {
        ObjectNode node = Json.object();
        node.put("tenant", tenant.id().value());
        // For the provider's support: which creation of the name this is. Only the admin API shows tenants.
        node.put("uid", tenant.uid().value());
        tenant.plan().ifPresentOrElse(p -> node.put("plan", p), () -> node.putNull("plan"));
        node.set("overrides", LimitsJson.overrides(tenant.overrides()));
        node.set("limits", LimitsJson.limits(limits));
        node.put("created-at", tenant.createdAt().toString());
        node.put("updated-at", tenant.updatedAt().toString());
        return node;
    }

    static ObjectNode plan(Plan plan) {
        ObjectNode node = Json.object();
        node.put("plan", plan.name());
        node.set("limits", LimitsJson.limits(plan.limits()));
        return node;
    }

    static ObjectNode key(KeyMetadata key) {
        ObjectNode node = Json.object();
        node.put("id", key.id());
        node.put("tenant", key.tenant().name().value());
        node.put("name", key.name());
        ArrayNode scopes = node.putArray("scopes");
        key.scopes().stream().sorted().forEach(s -> scopes.add(s.text()));
        key.functions().ifPresentOrElse(fs -> {
            ArrayNode functions = node.putArray("functions");
            fs.stream().sorted().forEach(functions::add);
        }, () -> node.putNull("functions"));
        node.put("created-at", key.createdAt().toString());
        key.expiresAt().ifPresentOrElse(e -> node.put("expires-at", e.toString()), () -> node.putNull("expires-at"));
        key.lastUsedAt().ifPresentOrElse(e -> node.put("last-used-at", e.toString()),
                () -> node.putNull("last-used-at"));
        return node;
    }

    /** A key as issued: its metadata and, this one time, the secret. */
    static ObjectNode issued(IssuedKey issued) {
        ObjectNode node = key(issued.metadata());
        node.put("key", issued.secret());
        return node;
    }

    /** Usage per day, newest first, with the sum over those days. */
    static ObjectNode usage(TenantId tenant, List<DailyUsage> days) {
        ObjectNode node = Json.object();
        node.put("tenant", tenant.value());
        ArrayNode items = node.putArray("days");
        DailyUsage total = new DailyUsage(LocalDate.EPOCH, 0, 0, 0, 0);
        for (DailyUsage day : days) {
            items.add(usageCounters(day).put("day", day.day().toString()));
            total = new DailyUsage(total.day(), total.invocations() + day.invocations(),
                    total.errors() + day.errors(), total.throttles() + day.throttles(), total.fuel() + day.fuel());
        }
        node.set("total", usageCounters(total));
        return node;
    }

    /**
     * Every tenant's usage over {@code days} UTC days ({@code from}..{@code to}, both included), sorted by tenant name:
     * {@code {"days", "from", "to", "tenants": [{"tenant", "plan", "invocations", "errors", "throttles", "fuel"}]}}.
     */
    static ObjectNode usageSummary(int days, UsageSummary summary, List<Tenant> tenants) {
        ObjectNode node = Json.object();
        node.put("days", days);
        node.put("from", summary.from().toString());
        node.put("to", summary.to().toString());
        ArrayNode items = node.putArray("tenants");
        tenants.stream().sorted(Comparator.comparing(t -> t.id().value())).forEach(tenant -> {
            UsageSummary.Totals totals = summary.of(tenant.uid());
            ObjectNode item = items.addObject();
            item.put("tenant", tenant.id().value());
            tenant.plan().ifPresentOrElse(p -> item.put("plan", p), () -> item.putNull("plan"));
            item.put("invocations", totals.invocations());
            item.put("errors", totals.errors());
            item.put("throttles", totals.throttles());
            item.put("fuel", totals.fuel());
        });
        return node;
    }

    /** The process's live counters at {@code time} (RFC 3339, UTC). */
    static ObjectNode stats(Instant time, LiveCounters live) {
        ObjectNode node = Json.object();
        node.put("time", time.toString());
        node.put("uptime-ms", live.uptimeMillis());
        node.put("invocations", live.invocations());
        node.put("errors", live.errors());
        node.put("throttles", live.throttles());
        node.put("in-flight", live.inFlight());
        return node;
    }

    /**
     * Adds {@code "compiled"} to a function's representation where this process knows (see
     * {@code FunctionRegistry.compiled}); left out where it cannot (a gateway whose workers compile).
     */
    static ObjectNode compiled(ObjectNode function, Optional<Boolean> compiled) {
        compiled.ifPresent(c -> function.put("compiled", c));
        return function;
    }

    private static ObjectNode usageCounters(DailyUsage usage) {
        ObjectNode node = Json.object();
        node.put("invocations", usage.invocations());
        node.put("errors", usage.errors());
        node.put("throttles", usage.throttles());
        node.put("fuel", usage.fuel());
        return node;
    }

    static ObjectNode function(FunctionSpec spec) {
        ObjectNode node = Json.object();
        node.put("name", spec.name().value());
        node.put("digest", spec.digest());
        node.put("size", spec.size());
        node.put("memory-pages", spec.memoryPages());
        node.put("timeout-ms", spec.timeoutMs());
        node.put("fuel", spec.fuel());
        node.put("deployed-at", spec.deployedAt().toString());
        return node;
    }

    /** A list of functions as both the tenant API and the admin API answer it: {@code {"functions": [...]}}. */
    static ObjectNode functions(List<FunctionSpec> functions, TenantLimits limits) {
        ArrayNode items = Json.object().arrayNode();
        functions.forEach(f -> items.add(function(f, limits)));
        ObjectNode body = Json.object();
        body.set("functions", items);
        return body;
    }

    /**
     * A function with, under {@code runs-with}, the memory, timeout and fuel it gets now: its own settings capped by
     * the tenant's current limits (they shrink with the plan; see {@link Invocations#withinLimits}).
     */
    static ObjectNode function(FunctionSpec spec, TenantLimits limits) {
        FunctionSpec now = Invocations.withinLimits(spec, limits);
        ObjectNode node = function(spec);
        ObjectNode runsWith = node.putObject("runs-with");
        runsWith.put("memory-pages", now.memoryPages());
        runsWith.put("timeout-ms", now.timeoutMs());
        runsWith.put("fuel", now.fuel());
        return node;
    }
}
