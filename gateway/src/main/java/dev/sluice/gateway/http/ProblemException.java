package dev.sluice.gateway.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request that ends in a problem response. Thrown by handlers and turned into {@code application/problem+json}
 * in exactly one place ({@link ErrorMapper}). Created without a stack trace: it is control flow at the HTTP edge,
 * and some kinds (401, 429) are hot.
 */
public final class ProblemException extends RuntimeException {
    private final ProblemType type;
    private final String detail;
    private final Map<String, Object> extensions;
    private final Map<String, String> headers;

    private ProblemException(ProblemType type, String detail, Map<String, Object> extensions,
                             Map<String, String> headers) {
        super(type.slug() + ": " + detail, null, false, false);
        this.type = type;
        this.detail = detail;
        this.extensions = extensions;
        this.headers = headers;
    }

    public static ProblemException of(ProblemType type, String detail) {
        return new ProblemException(type, detail, new LinkedHashMap<>(), new LinkedHashMap<>());
    }

    /** Adds a member to the problem body (RFC 9457 extension member), e.g. {@code exit-code}. */
    public ProblemException with(String member, Object value) {
        extensions.put(member, value);
        return this;
    }

    /** Adds a response header, e.g. {@code Retry-After}. */
    public ProblemException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public ProblemType type() {
        return type;
    }

    public String detail() {
        return detail;
    }

    public Map<String, Object> extensions() {
        return Map.copyOf(extensions);
    }

    public Map<String, String> headers() {
        return Map.copyOf(headers);
    }
}
