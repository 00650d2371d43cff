package dev.sluice.gateway;

import dev.sluice.gateway.http.Requests;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.function.Predicate;

/**
 * In front of every admin route: the admin token, or the same 401 as a bad tenant key (realm {@code sluice-admin}).
 * {@code admin} verifies a presented token ({@code AdminCredentials::verify}, traced when tracing is on).
 */
final class AdminAuth implements Handler {
    private final Predicate<String> admin;

    AdminAuth(Predicate<String> admin) {
        this.admin = admin;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        if (!Requests.bearerToken(req).map(admin::test).orElse(false)) {
            throw TenantGate.unauthorized("sluice-admin");
        }
        res.next();
    }
}
