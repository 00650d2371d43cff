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

/**
 * The keys with {@link #verify} as a {@code sluice.authenticate} span (inside a traced request only) saying whether
 * the key verified: never the key, its id or its hash. The rest passes through.
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
        if (!TracedSpans.inTrace()) {
            return keys.verify(presentedKey);
        }
        Span span = tracer.spanBuilder("sluice.authenticate").startSpan();
        try {
            Optional<KeyMetadata> verified = keys.verify(presentedKey);
            span.setAttribute(TraceAttributes.AUTHENTICATED, verified.isPresent());
            return verified;
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
