package dev.sluice.gateway.core;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.sluice.config.secrets.EncryptedFileSecrets;
import dev.sluice.config.secrets.FunctionSecrets;
import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.scheduler.InvocationRequest;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.SchedulerSettings;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeySpec;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.local.LocalTenancy;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.plan.TenantLimits;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The core's real collaborators without a server: local tenancy and quotas and the in-process scheduler in one data
 * directory, on a wall clock and a monotonic clock that move only when a test advances them.
 */
final class CoreFixture implements AutoCloseable {
    static final SocketAddress PEER = new InetSocketAddress("192.0.2.7", 40000);
    /** Generous defaults: a test tightens the one limit it is about with an override. */
    /** The data directory's secrets key for the fixture (32 bytes of base64; a test key, nothing else). */
    static final String KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    static final TenantLimits DEFAULTS = TenantLimits.of(1000, 1000, 16, 10_000, 1 << 20, 1_000_000_000L);

    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final Instant origin = Instant.parse("2026-01-01T00:00:00Z");
    final InstantSource clock = () -> origin.plusNanos(nanos.get() - 1_000_000_000L);
    final LocalTenancy tenancy;
    final Quotas quotas;
    final LocalScheduler scheduler;
    final EncryptedFileSecrets secrets;

    CoreFixture(Path dataDir) {
        secrets = EncryptedFileSecrets.open(dataDir.resolve("secrets"), Optional.of(KEY), clock);
        tenancy = LocalTenancy.open(dataDir, clock);
        quotas = Quotas.local(dataDir, clock, nanos::get);
        scheduler = LocalScheduler.open(new SchedulerSettings(2, 2, 8, 1 << 20, 64 << 10, 2L << 20), dataDir, clock);
    }

    void advance(Duration by) {
        nanos.addAndGet(by.toNanos());
    }

    TenantAccess access(AuthFailures failures) {
        return new TenantAccess(tenancy.keys(), tenancy.tenants(), tenancy.plans(), DEFAULTS, quotas, failures);
    }

    /** Creates a tenant with {@code overrides} over the defaults and issues it a key with {@code scopes}. */
    IssuedKey tenant(String id, Map<Limit, Long> overrides, Set<Scope> scopes) {
        LimitOverrides limits = LimitOverrides.none();
        for (Map.Entry<Limit, Long> override : overrides.entrySet()) {
            limits = limits.with(override.getKey(), override.getValue());
        }
        tenancy.tenants().put(TenantId.of(id), Optional.empty(), limits);
        return tenancy.keys().issue(uid(id), KeySpec.named("test").withScopes(scopes));
    }

    /** The internal identity of tenant {@code id}'s current creation: what quotas and keys are counted by. */
    TenantUid uid(String id) {
        return tenancy.tenants().find(TenantId.of(id)).orElseThrow().uid();
    }

    IssuedKey tenant(String id, Map<Limit, Long> overrides) {
        return tenant(id, overrides, Scope.ALL);
    }

    /** The caller as the front door admits it (one request taken from its rate). */
    Caller caller(IssuedKey key) {
        return assertInstanceOf(Access.Granted.class, access(AuthFailures.none()).admit(Optional.of(key.secret()), PEER))
                .caller();
    }

    FunctionSpec deploy(String tenant, String name, String module, long fuel) {
        return scheduler.functions().deploy(new DeployRequest(uid(tenant).value(), FunctionName.of(name), TestModules.load(module),
                16, 10_000, 1 << 20, fuel, 0)).spec();
    }

    Invocations invocations(InFlight inFlight) {
        return invocations(inFlight, secrets);
    }

    Invocations invocations(InFlight inFlight, FunctionSecrets secrets) {
        return new Invocations(scheduler.functions(), scheduler.dispatcher(), inFlight, quotas, secrets);
    }

    /** An invocation call with an empty body, counting how often the chain read it and what it announced. */
    static final class Call implements InvocationCall {
        final AtomicInteger reads = new AtomicInteger();
        volatile QuotaReport announced;

        @Override
        public InvocationRequest request(FunctionSpec function) {
            reads.incrementAndGet();
            return new InvocationRequest(new byte[0], List.of(function.name().value()), Map.of());
        }

        @Override
        public void admitted(QuotaReport quotas) {
            announced = quotas;
        }
    }

    @Override
    public void close() {
        scheduler.close();
        quotas.close();
        tenancy.close();
    }
}
