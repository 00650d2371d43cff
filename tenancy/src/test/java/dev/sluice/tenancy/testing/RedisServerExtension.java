package dev.sluice.tenancy.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Redis server per test class: {@code @RegisterExtension static final RedisServerExtension REDIS = new
 * RedisServerExtension();} then {@code REDIS.server()}. Started before the class's tests, stopped after them.
 */
public final class RedisServerExtension implements BeforeAllCallback, AfterAllCallback {
    private RedisTestServer server;

    @Override
    public void beforeAll(ExtensionContext context) {
        if (server == null) {
            server = RedisTestServer.start();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        // Nested classes see the outer class's extension too: only the class that registered it stops the server.
        if (server != null && context.getParent().flatMap(ExtensionContext::getTestClass).isEmpty()) {
            server.close();
            server = null;
        }
    }

    public RedisTestServer server() {
        if (server == null) {
            throw new IllegalStateException("the Redis server starts before the test class's tests");
        }
        return server;
    }
}
