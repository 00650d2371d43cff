package dev.sluice.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.http.Requests;
import dev.sluice.tenancy.managed.Declarations;
import dev.sluice.tenancy.managed.ManagedObjects;
import dev.sluice.tenancy.managed.ManagedTenancy;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.plan.PlanStore;
import dev.sluice.tenancy.plan.TenantLimits;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Plans, named bundles of limits, behind the admin token; mounted at {@code /admin/v1/plans}. A plan is complete:
 * fields a create leaves out take the configured defaults, fields an update leaves out keep their value. Tenants on a
 * plan see a change on their next request, on every gateway sharing the tenancy store.
 *
 * <p>Plans declared outside (in Vault) show {@code "managed-by": "vault"}; a change or deletion of one answers 409
 * {@code managed-elsewhere} before the body is read.
 */
final class PlanService implements HttpService {
    private static final long MAX_BODY = 64 * 1024;

    private final AdminAuth auth;
    private final PlanStore plans;
    private final Supplier<TenantLimits> defaults;
    private final ManagedObjects managed;

    PlanService(AdminAuth auth, PlanStore plans, Supplier<TenantLimits> defaults, ManagedObjects managed) {
        this.auth = auth;
        this.plans = plans;
        this.defaults = defaults;
        this.managed = managed;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any(auth)
                .get("/", this::list)
                .put("/{plan}", this::put)
                .get("/{plan}", this::get)
                .delete("/{plan}", this::delete);
    }

    private void list(ServerRequest req, ServerResponse res) {
        ArrayNode items = Json.object().arrayNode();
        plans.list().forEach(p -> items.add(representation(p)));
        ObjectNode body = Json.object();
        body.set("plans", items);
        AdminService.send(res, Status.OK_200, body);
    }

    private void put(ServerRequest req, ServerResponse res) {
        String name = name(req);
        refuseManaged(name);
        ObjectNode body = Json.parseObject(Requests.jsonBody(req, MAX_BODY));
        TenantLimits current = plans.find(name).map(Plan::limits).orElse(defaults.get());
        TenantLimits limits = current.with(LimitsJson.merge(LimitOverrides.none(), body, Set.of()));
        PlanStore.PutResult result = plans.put(new Plan(name, limits));
        AdminService.send(res, result.created() ? Status.CREATED_201 : Status.OK_200,
                representation(result.plan()));
    }

    private void get(ServerRequest req, ServerResponse res) {
        String name = name(req);
        Plan plan = plans.find(name).orElseThrow(() -> ProblemException.of(ProblemType.NOT_FOUND, "no plan " + name));
        AdminService.send(res, Status.OK_200, representation(plan));
    }

    /** The store refuses atomically while tenants are on the plan (409 {@code plan-in-use}, naming them). */
    private void delete(ServerRequest req, ServerResponse res) {
        String name = name(req);
        refuseManaged(name);
        if (!plans.delete(name)) {
            throw ProblemException.of(ProblemType.NOT_FOUND, "no plan " + name);
        }
        res.status(Status.NO_CONTENT_204).send();
    }

    private ObjectNode representation(Plan plan) {
        return AdminService.managedBy(Representations.plan(plan), managed.planManager(plan.name()));
    }

    private void refuseManaged(String name) {
        Optional<String> manager = managed.planManager(name);
        if (manager.isPresent()) {
            Optional<String> source = managed instanceof ManagedTenancy declared
                    ? declared.declared().plans().stream().filter(p -> p.plan().name().equals(name))
                            .map(Declarations.DeclaredPlan::source).findFirst()
                    : Optional.empty();
            throw AdminService.managedElsewhere("plan", name, manager.get(), source);
        }
    }

    private static String name(ServerRequest req) {
        String raw = req.path().pathParameters().get("plan");
        try {
            return Plan.checkName(raw);
        } catch (RuntimeException e) {
            throw ProblemException.of(ProblemType.INVALID_NAME, e.getMessage());
        }
    }
}
