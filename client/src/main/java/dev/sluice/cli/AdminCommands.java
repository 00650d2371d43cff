package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.cli.Cli.Context;
import dev.sluice.client.AdminClient;
import dev.sluice.client.IssuedKey;
import dev.sluice.client.KeyInfo;
import dev.sluice.client.Listing;
import dev.sluice.client.PlanInfo;
import dev.sluice.client.TenantInfo;
import dev.sluice.client.UsageSummary;
import java.util.List;
import java.util.OptionalInt;

/** The provider's commands (admin token): tenants, plans, keys, and every tenant's usage. */
final class AdminCommands {
    /** The plan columns a table shows; {@code plans show} and {@code --json} show every limit. */
    private static final List<String> PLAN_COLUMNS = List.of("requests-per-second", "burst", "max-concurrency",
            "fuel-per-day", "invocations-per-day", "max-functions");

    private AdminCommands() {}

    static int tenants(Args args, Context context) {
        String action = args.positional(0, "an action: list, show, create, update or delete");
        return switch (action) {
            case "list" -> {
                args.atMost(1);
                Listing<TenantInfo> tenants = context.admin().tenants();
                if (context.json) {
                    context.console.out.println(tenants.json());
                } else {
                    Table table = Table.of("TENANT", "PLAN", "OVERRIDES", "CREATED-AT");
                    tenants.items().forEach(t -> table.row(t.tenant() + t.managedBy().map(m -> " (" + m + ")")
                            .orElse(""), t.plan().orElse("-"), pairs(t.overrides()), t.createdAt()));
                    context.console.print(table);
                }
                yield Exit.OK;
            }
            case "show" -> {
                args.atMost(2);
                showTenant(context.admin().tenant(args.positional(1, "TENANT")), context);
                yield Exit.OK;
            }
            case "create", "update" -> {
                args.atMost(2);
                String tenant = args.positional(1, "TENANT");
                AdminClient admin = context.admin();
                ObjectNode body = admin.body();
                args.value("--plan").ifPresent(p -> {
                    if (p.equals("none") || p.isEmpty()) {
                        body.putNull("plan");
                    } else {
                        body.put("plan", p);
                    }
                });
                limits(args, body);
                AdminClient.Put<TenantInfo> put = admin.putTenant(tenant, body);
                if (!context.json) {
                    context.console.status("tenant " + tenant + (put.created() ? " created" : " updated"));
                }
                showTenant(put.value(), context);
                yield Exit.OK;
            }
            case "delete" -> {
                args.atMost(2);
                String tenant = args.positional(1, "TENANT");
                context.admin().deleteTenant(tenant);
                deleted("tenant", tenant, context);
                yield Exit.OK;
            }
            default -> throw new UsageError("tenants", "unknown action " + Args.printable(action));
        };
    }

    private static void showTenant(TenantInfo tenant, Context context) {
        if (context.json) {
            context.console.out.println(tenant.json());
            return;
        }
        Table about = Table.of("FIELD", "VALUE");
        about.row("tenant", tenant.tenant()).row("plan", tenant.plan().orElse("-"))
                .row("created-at", tenant.createdAt()).row("updated-at", tenant.updatedAt());
        tenant.managedBy().ifPresent(m -> about.row("managed-by", m));
        context.console.print(about);
        context.console.out.println();
        Table limits = Table.of("LIMIT", ">VALUE", "FROM");
        tenant.limits().properties().forEach(e -> limits.row(e.getKey(), text(e.getValue()),
                tenant.overrides().has(e.getKey()) ? "override" : tenant.plan().isPresent() ? "plan" : "defaults"));
        context.console.print(limits);
    }

    static int plans(Args args, Context context) {
        String action = args.positional(0, "an action: list, show, create, update or delete");
        return switch (action) {
            case "list" -> {
                args.atMost(1);
                Listing<PlanInfo> plans = context.admin().plans();
                if (context.json) {
                    context.console.out.println(plans.json());
                } else {
                    String[] headers = new String[PLAN_COLUMNS.size() + 1];
                    headers[0] = "PLAN";
                    for (int i = 0; i < PLAN_COLUMNS.size(); i++) {
                        headers[i + 1] = ">" + PLAN_COLUMNS.get(i).toUpperCase(java.util.Locale.ROOT);
                    }
                    Table table = Table.of(headers);
                    plans.items().forEach(p -> {
                        Object[] cells = new Object[headers.length];
                        cells[0] = p.plan() + p.managedBy().map(m -> " (" + m + ")").orElse("");
                        for (int i = 0; i < PLAN_COLUMNS.size(); i++) {
                            JsonNode value = p.limits().get(PLAN_COLUMNS.get(i));
                            cells[i + 1] = value == null ? "-" : text(value);
                        }
                        table.row(cells);
                    });
                    context.console.print(table);
                }
                yield Exit.OK;
            }
            case "show" -> {
                args.atMost(2);
                showPlan(context.admin().plan(args.positional(1, "PLAN")), context);
                yield Exit.OK;
            }
            case "create", "update" -> {
                args.atMost(2);
                String plan = args.positional(1, "PLAN");
                AdminClient admin = context.admin();
                ObjectNode body = admin.body();
                limits(args, body);
                AdminClient.Put<PlanInfo> put = admin.putPlan(plan, body);
                if (!context.json) {
                    context.console.status("plan " + plan + (put.created() ? " created" : " updated"));
                }
                showPlan(put.value(), context);
                yield Exit.OK;
            }
            case "delete" -> {
                args.atMost(2);
                String plan = args.positional(1, "PLAN");
                context.admin().deletePlan(plan);
                deleted("plan", plan, context);
                yield Exit.OK;
            }
            default -> throw new UsageError("plans", "unknown action " + Args.printable(action));
        };
    }

    private static void showPlan(PlanInfo plan, Context context) {
        if (context.json) {
            context.console.out.println(plan.json());
            return;
        }
        context.console.out.println("plan " + Table.clean(plan.plan())
                + plan.managedBy().map(m -> " (managed by " + m + ")").orElse(""));
        Table limits = Table.of("LIMIT", ">VALUE");
        plan.limits().properties().forEach(e -> limits.row(e.getKey(), text(e.getValue())));
        context.console.print(limits);
    }

    static int keys(Args args, Context context) {
        String action = args.positional(0, "an action: list, issue, rotate or revoke");
        return switch (action) {
            case "list" -> {
                args.atMost(2);
                Listing<KeyInfo> keys = context.admin().keys(args.positional(1, "TENANT"));
                if (context.json) {
                    context.console.out.println(keys.json());
                } else {
                    Table table = Table.of("ID", "NAME", "SCOPES", "FUNCTIONS", "EXPIRES-AT", "LAST-USED-AT");
                    keys.items().forEach(k -> table.row(k.id() + k.managedBy().map(m -> " (" + m + ")").orElse(""),
                            k.name(), String.join(",", k.scopes()), k.functions().map(f -> String.join(",", f))
                                    .orElse("all"), k.expiresAt().orElse("never"), k.lastUsedAt().orElse("-")));
                    context.console.print(table);
                }
                yield Exit.OK;
            }
            case "issue" -> {
                args.atMost(2);
                String tenant = args.positional(1, "TENANT");
                AdminClient admin = context.admin();
                ObjectNode body = admin.body();
                body.put("name", args.value("--name")
                        .orElseThrow(() -> new UsageError("keys", "issue needs --name NAME")));
                args.value("--scopes").ifPresent(s -> list(body.putArray("scopes"), s));
                args.value("--functions").ifPresent(f -> list(body.putArray("functions"), f));
                args.value("--expires-at").ifPresent(e -> body.put("expires-at", e));
                printIssued(admin.issueKey(tenant, body), context);
                yield Exit.OK;
            }
            case "rotate" -> {
                args.atMost(3);
                String tenant = args.positional(1, "TENANT");
                String id = args.positional(2, "ID (the key's id, from keys list)");
                var overlap = args.longValue("--overlap-seconds", 0, 30L * 86_400);
                printIssued(context.admin().rotateKey(tenant, id, overlap), context);
                yield Exit.OK;
            }
            case "revoke" -> {
                args.atMost(3);
                String tenant = args.positional(1, "TENANT");
                String id = args.positional(2, "ID (the key's id, from keys list)");
                context.admin().revokeKey(tenant, id);
                deleted("key", id, context);
                yield Exit.OK;
            }
            default -> throw new UsageError("keys", "unknown action " + Args.printable(action));
        };
    }

    /** The key goes to stdout only, this once (the server keeps a hash); the reminder goes to stderr without it. */
    private static void printIssued(IssuedKey issued, Context context) {
        if (context.json) {
            context.console.out.println(issued.json());
        } else {
            KeyInfo key = issued.key();
            Table table = Table.of("FIELD", "VALUE");
            table.row("id", key.id()).row("tenant", key.tenant()).row("name", key.name())
                    .row("scopes", String.join(",", key.scopes()))
                    .row("functions", key.functions().map(f -> String.join(",", f)).orElse("all"))
                    .row("expires-at", key.expiresAt().orElse("never"));
            issued.previous().ifPresent(p -> table.row("previous", p.id() + " (works until "
                    + p.expiresAt().orElse("revoked") + ")"));
            table.row("key", issued.secret());
            context.console.print(table);
        }
        context.console.out.flush();
        context.console.status("sluice: the key is shown only this once; store it now");
    }

    static int usageSummary(OptionalInt days, Context context) {
        UsageSummary summary = context.admin().usage(days);
        if (context.json) {
            context.console.out.println(summary.json());
            return Exit.OK;
        }
        context.console.status("usage " + summary.from() + " to " + summary.to() + " (" + summary.days()
                + (summary.days() == 1 ? " day, UTC)" : " days, UTC)"));
        Table table = Table.of("TENANT", "PLAN", ">INVOCATIONS", ">ERRORS", ">THROTTLES", ">FUEL");
        summary.tenants().forEach(t -> table.row(t.tenant(), t.plan().orElse("-"), t.counters().invocations(),
                t.counters().errors(), t.counters().throttles(), t.counters().fuel()));
        context.console.print(table);
        return Exit.OK;
    }

    /** {@code --set key=value}: a whole number as a number, {@code null} to remove, anything else as text. */
    private static void limits(Args args, ObjectNode body) {
        for (String pair : args.values("--set")) {
            int equals = pair.indexOf('=');
            if (equals <= 0) {
                throw new UsageError(args.command(), "--set " + Args.printable(pair) + " (expected: key=value)");
            }
            String key = pair.substring(0, equals).strip();
            String value = pair.substring(equals + 1).strip();
            if (value.equals("null")) {
                body.putNull(key);
            } else if (value.matches("-?\\d{1,18}")) {
                body.put(key, Long.parseLong(value));
            } else {
                body.put(key, value);
            }
        }
    }

    private static void list(ArrayNode array, String commaSeparated) {
        for (String item : commaSeparated.split(",")) {
            if (!item.isBlank()) {
                array.add(item.strip());
            }
        }
    }

    private static void deleted(String what, String name, Context context) {
        if (context.json) {
            context.console.out.println(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("deleted", name).put("kind", what));
        } else {
            context.console.out.println("deleted " + what + " " + Table.clean(name));
        }
    }

    private static String pairs(JsonNode object) {
        StringBuilder out = new StringBuilder();
        object.properties().forEach(e -> out.append(out.isEmpty() ? "" : ",").append(e.getKey()).append('=')
                .append(text(e.getValue())));
        return out.isEmpty() ? "-" : out.toString();
    }

    private static String text(JsonNode value) {
        return value.isNull() ? "null" : value.asText();
    }
}
