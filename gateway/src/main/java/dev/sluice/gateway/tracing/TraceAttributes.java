package dev.sluice.gateway.tracing;

import io.opentelemetry.api.common.AttributeKey;

/**
 * Every span attribute Sluice sets (the table in docs/observability.md). Values are ids, names, digests, numbers and
 * slugs from fixed sets: never a key, token, secret, header value or body.
 */
final class TraceAttributes {
    static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> PROBLEM_TYPE = AttributeKey.stringKey("sluice.problem.type");
    static final AttributeKey<String> TENANT = AttributeKey.stringKey("sluice.tenant");
    static final AttributeKey<String> FUNCTION = AttributeKey.stringKey("sluice.function");
    static final AttributeKey<String> DIGEST = AttributeKey.stringKey("sluice.module.digest");
    static final AttributeKey<Long> FUEL_USED = AttributeKey.longKey("sluice.fuel.used");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("sluice.outcome");
    static final AttributeKey<String> QUOTA = AttributeKey.stringKey("sluice.quota");
    static final AttributeKey<String> QUOTA_STORE = AttributeKey.stringKey("sluice.quota.store");
    static final AttributeKey<Boolean> GRANTED = AttributeKey.booleanKey("sluice.quota.granted");
    static final AttributeKey<String> AUTH_REALM = AttributeKey.stringKey("sluice.auth.realm");
    static final AttributeKey<Boolean> AUTHENTICATED = AttributeKey.booleanKey("sluice.authenticated");
    static final AttributeKey<Long> MODULE_BYTES = AttributeKey.longKey("sluice.module.bytes");
    static final AttributeKey<Boolean> CREATED = AttributeKey.booleanKey("sluice.deploy.created");
    static final AttributeKey<Boolean> COMPILED = AttributeKey.booleanKey("sluice.deploy.compiled");

    private TraceAttributes() {}
}
