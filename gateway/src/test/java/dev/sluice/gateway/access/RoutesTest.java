package dev.sluice.gateway.access;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A raw path becomes a route template and, only when valid, a function name: nothing else of the path is kept. */
class RoutesTest {
    @Test
    void aPathBecomesItsTemplateWithTheFunctionAsItsOwnField() {
        assertEquals(new Routes.Match("/v1/functions/{name}/invoke", Optional.of("hello")),
                Routes.match("/v1/functions/hello/invoke"));
        assertEquals(new Routes.Match("/v1/functions/{name}/invoke/{+path}", Optional.of("hello")),
                Routes.match("/v1/functions/hello/invoke/a/b/c"));
        assertEquals(new Routes.Match("/admin/v1/tenants/{tenant}/keys/{id}/rotate", Optional.empty()),
                Routes.match("/admin/v1/tenants/acme/keys/00c0ffee00c0ffee/rotate"));
        assertEquals(new Routes.Match("/health/ready", Optional.empty()), Routes.match("/health/ready"));
        assertEquals(new Routes.Match("/admin/v1/tenants/{tenant}/functions", Optional.empty()),
                Routes.match("/admin/v1/tenants/acme/functions"));
        assertEquals("/admin/v1/usage", Routes.match("/admin/v1/usage").route());
        assertEquals("/admin/v1/stats", Routes.match("/admin/v1/stats").route());
    }

    @Test
    void whatNoRouteServesIsUnmatchedAndAnInvalidNameIsNoFunction() {
        assertEquals(Routes.UNMATCHED, Routes.match("/v1/functions/hello/nope").route());
        assertEquals(Routes.UNMATCHED, Routes.match("/v1/functions//invoke").route());
        assertEquals(Routes.UNMATCHED, Routes.match("/etc/passwd").route());
        assertEquals(Optional.empty(), Routes.match("/v1/functions/..%2Fsecret/invoke").function());
        assertEquals(Optional.empty(), Routes.match("/v1/functions/" + "a".repeat(300)).function());
        assertEquals(Optional.empty(), Routes.match("/v1/functions/%E0%A4%A/invoke").function(), "bad escape");
    }
}
