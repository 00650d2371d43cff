package dev.sluice.gateway.http;

import java.net.URI;

/**
 * Every kind of error Sluice answers with. The {@code type} URI is stable: clients branch on it, so a constant here
 * is never renamed, only added. Documented in docs/problems.md.
 */
public enum ProblemType {
    INVALID_REQUEST("invalid-request", 400, "The request is malformed"),
    INVALID_NAME("invalid-name", 400, "The name is not allowed"),
    UNAUTHORIZED("unauthorized", 401, "Missing or invalid credentials"),
    FORBIDDEN("forbidden", 403, "The credentials do not allow this"),
    NOT_FOUND("not-found", 404, "No such resource"),
    FUNCTION_LIMIT("function-limit", 409, "The tenant has as many functions as its plan allows"),
    PLAN_IN_USE("plan-in-use", 409, "The plan is in use"),
    PAYLOAD_TOO_LARGE("payload-too-large", 413, "The request body is too large"),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", 415, "Unsupported content type"),
    MODULE_REJECTED("module-rejected", 422, "The module cannot be deployed"),
    ASSETS_REJECTED("assets-rejected", 422, "The assets cannot be stored"),
    ASSETS_EXCEED_SCRATCH("assets-exceed-scratch", 422, "The writable assets do not fit the scratch space"),
    RATE_LIMITED("rate-limited", 429, "Rate quota exceeded"),
    INVOCATION_QUOTA_EXCEEDED("invocation-quota-exceeded", 429, "Invocation quota exceeded"),
    CONCURRENCY_LIMITED("concurrency-limited", 429, "Too many invocations in flight"),
    FUEL_BUDGET_EXHAUSTED("fuel-budget-exhausted", 429, "Daily fuel budget exhausted"),
    AUTH_RATE_LIMITED("auth-rate-limited", 429, "Too many failed authentications"),
    INTERNAL_ERROR("internal-error", 500, "Internal error"),
    FUNCTION_FAILED("function-failed", 502, "The function exited with an error"),
    FUNCTION_TRAPPED("function-trapped", 502, "The function trapped"),
    MEMORY_LIMIT("memory-limit", 502, "The function exceeded its memory limit"),
    FUEL_EXHAUSTED("fuel-exhausted", 502, "The function used up its fuel budget"),
    OUTPUT_LIMIT("output-limit", 502, "The function wrote more output than allowed"),
    STACK_EXHAUSTED("stack-exhausted", 502, "The function exhausted its call stack"),
    INVALID_FUNCTION_RESPONSE("invalid-function-response", 502, "The function's response is not valid CGI"),
    OVERLOADED("overloaded", 503, "No capacity for this invocation now"),
    UNAVAILABLE("unavailable", 503, "The server is shutting down"),
    QUOTA_UNAVAILABLE("quota-unavailable", 503, "Quotas cannot be checked now"),
    STORE_UNAVAILABLE("store-unavailable", 503, "Tenancy state cannot be read now"),
    FUNCTION_TIMEOUT("function-timeout", 504, "The function ran past its timeout"),
    DEPLOY_LIMITED("deploy-limited", 429, "Too many deploys in progress"),
    URI_TOO_LONG("uri-too-long", 414, "The request line is too long"),
    REQUEST_HEADER_FIELDS_TOO_LARGE("request-header-fields-too-large", 431, "The request headers are too large"),
    NOT_IMPLEMENTED("not-implemented", 501, "The server does not support what the request needs"),
    HTTP_VERSION_NOT_SUPPORTED("http-version-not-supported", 505, "The HTTP version is not supported"),
    WORKER_LOST("worker-lost", 502, "The worker running the function was lost"),
    WORKER_BUSY("worker-busy", 503, "The worker did not start the invocation"),
    MANAGED_ELSEWHERE("managed-elsewhere", 409, "The object is managed outside the admin API"),
    SECRETS_UNAVAILABLE("secrets-unavailable", 503, "Function secrets cannot be used now"),
    TOO_MANY_STREAMS("too-many-streams", 429, "Too many log streams open");

    private static final String BASE = "https://sluice.dev/problems/";

    private final String slug;
    private final int status;
    private final String title;

    ProblemType(String slug, int status, String title) {
        this.slug = slug;
        this.status = status;
        this.title = title;
    }

    public URI uri() {
        return URI.create(BASE + slug);
    }

    public String slug() {
        return slug;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }
}
