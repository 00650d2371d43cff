package dev.sluice.gateway.tracing;

import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.KeySpec;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The keys with {@link #verify} as a {@code sluice.authenticate} span (inside a traced request only) saying whether
 * the key verified: never the key, its id or its hash; the admin token's check is traced the same way
 * ({@link Tracing#admin}). The rest passes through.
 */
final class TracedKeys implements ApiKeys {
    private final ApiKeys keys;
    private final Tracer tracer;

    TracedKeys(ApiKeys keys, Tracer tracer) {
        this.keys = keys;
        this.tracer = tracer;
    }

    @Override
    public Optional<KeyMetadata> verify(String presentedKey) {
        return authenticate(tracer, "tenant", () -> keys.verify(presentedKey), Optional::isPresent);
    }

    /**
     * {@code verify} as a {@code sluice.authenticate} span ({@code sluice.auth.realm}: {@code tenant} or
     * {@code admin}) saying whether it verified, inside a traced request only.
     */
    static <T> T authenticate(Tracer tracer, String realm, Supplier<T> verify, Predicate<T> verified) {
        if (!TracedSpans.inTrace()) {
            return verify.get();
        }
        Span span = tracer.spanBuilder("sluice.authenticate").setAttribute(TraceAttributes.AUTH_REALM, realm)
                .startSpan();
        try {
            T answer = verify.get();
            span.setAttribute(TraceAttributes.AUTHENTICATED, verified.test(answer));
            return answer;
        } catch (RuntimeException e) {
            TracedSpans.failed(span, e);
            throw e;
        } finally {
            span.end();
        }
    }

    @Override
    public IssuedKey issue(TenantUid tenant, KeySpec spec) {
        return keys.issue(tenant, spec);
    }

    @Override
    public List<KeyMetadata> list(TenantUid tenant) {
        return keys.list(tenant);
    }

    @Override
    public Optional<Rotation> rotate(TenantUid tenant, String keyId, Duration overlap, Optional<Instant> expiresAt) {
        return keys.rotate(tenant, keyId, overlap, expiresAt);
    }

    @Override
    public boolean revoke(TenantUid tenant, String keyId) {
        return keys.revoke(tenant, keyId);
    }

    @Override
    public void revokeAll(TenantUid tenant) {
        keys.revokeAll(tenant);
    }
}
