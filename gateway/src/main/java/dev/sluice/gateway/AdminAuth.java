package dev.sluice.gateway;

import dev.sluice.gateway.http.Requests;
import dev.sluice.tenancy.auth.AdminCredentials;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** In front of every admin route: the admin token, or the same 401 as a bad tenant key (realm {@code sluice-admin}). */
final class AdminAuth implements Handler {
    private final AdminCredentials admin;

    AdminAuth(AdminCredentials admin) {
        this.admin = admin;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        if (!Requests.bearerToken(req).map(admin::verify).orElse(false)) {
            throw TenantGate.unauthorized("sluice-admin");
        }
        res.next();
    }
}
