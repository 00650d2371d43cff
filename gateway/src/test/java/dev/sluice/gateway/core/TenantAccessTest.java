package dev.sluice.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.TenantId;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The front door's decisions, without a server: who is let in, with which limits, and why not. */
class TenantAccessTest extends CoreTest {
    @Test
    void validKeyIsGrantedWithItsTenantItsLimitsAndItsRateCounted() {
        IssuedKey key = core.tenant("acme", Map.of(Limit.REQUESTS_PER_SECOND, 5L, Limit.BURST, 3L));

        Caller caller = assertInstanceOf(Access.Granted.class,
                core.access(AuthFailures.none()).admit(Optional.of(key.secret()), CoreFixture.PEER)).caller();

        assertEquals(TenantId.of("acme"), caller.tenant().id());
        assertEquals(key.metadata().id(), caller.key().id());
        assertEquals(5, caller.limits().requestsPerSecond(), "the tenant's override, not the default");
        QuotaReport.Item rate = caller.quotas().items().getFirst();
        assertEquals(List.of("rate", 3L, 1L, 2L), List.of(rate.name(), rate.quota(), rate.windowSeconds(), rate.remaining()));
        assertEquals(1, caller.quotas().items().size());
    }

    @Test
    void missingUnknownAndRevokedKeysAreRefusedAlikeAndCountedAsFailures() {
        IssuedKey revoked = core.tenant("acme", Map.of());
        core.tenancy.keys().revoke(core.uid("acme"), revoked.metadata().id());
        Recording failures = new Recording();
        TenantAccess access = core.access(failures);

        List<Access> answers = List.of(access.admit(Optional.empty(), CoreFixture.PEER),
                access.admit(Optional.of("sk_nobody_0000"), CoreFixture.PEER),
                access.admit(Optional.of(revoked.secret()), CoreFixture.PEER));

        for (Access answer : answers) {
            Access.Denied denied = assertInstanceOf(Access.Denied.class, answer);
            assertEquals(new Refusal.Unauthenticated(TenantAccess.REALM), denied.refusal());
            assertTrue(denied.quotas().isEmpty(), "no tenant, no quota counted");
        }
        assertEquals(3, failures.failed.size());
        assertEquals(0, failures.succeeded.size());
    }

    @Test
    void addressOverItsFailuresIsRefusedBeforeEvenAValidKeyIsLookedUp() {
        IssuedKey key = core.tenant("acme", Map.of());
        Recording failures = new Recording();
        failures.refuseFor = OptionalLong.of(42);

        Access.Denied denied = assertInstanceOf(Access.Denied.class,
                core.access(failures).admit(Optional.of(key.secret()), CoreFixture.PEER));

        assertEquals(new Refusal.AuthFailuresLimited(42), denied.refusal());
        assertEquals("too many failed authentications from this address; retry in 42 s", denied.refusal().message());
        assertTrue(failures.succeeded.isEmpty() && failures.failed.isEmpty(), "the key was not even checked");
    }

    @Test
    void tenantOverItsRateIsRefusedWithRetryAfterUntilTheBucketRefills() {
        IssuedKey key = core.tenant("acme", Map.of(Limit.REQUESTS_PER_SECOND, 1L, Limit.BURST, 2L));
        TenantAccess access = core.access(AuthFailures.none());
        Optional<String> token = Optional.of(key.secret());
        assertInstanceOf(Access.Granted.class, access.admit(token, CoreFixture.PEER));
        assertInstanceOf(Access.Granted.class, access.admit(token, CoreFixture.PEER));

        Access.Denied denied = assertInstanceOf(Access.Denied.class, access.admit(token, CoreFixture.PEER));

        Refusal.RateLimited limited = assertInstanceOf(Refusal.RateLimited.class, denied.refusal());
        assertEquals(1, limited.retryAfterSeconds());
        assertEquals("tenant acme is over its rate quota of 1 requests per second (burst 2)", limited.message());
        QuotaReport.Item rate = denied.quotas().items().getFirst();
        assertEquals(List.of("rate", 2L, 2L, 0L), List.of(rate.name(), rate.quota(), rate.windowSeconds(), rate.remaining()));
        assertEquals(1, core.quotas.usage().daily(core.uid("acme"), 1).getFirst().throttles());

        core.advance(Duration.ofSeconds(1));
        assertInstanceOf(Access.Granted.class, access.admit(token, CoreFixture.PEER), "one token refilled");
    }

    /** Records what the front door reports; refuses every client when told to. */
    private static final class Recording implements AuthFailures {
        final List<String> failed = new ArrayList<>();
        final List<String> succeeded = new ArrayList<>();
        OptionalLong refuseFor = OptionalLong.empty();

        @Override
        public OptionalLong refusal(SocketAddress peer, String presentedKey) {
            return refuseFor;
        }

        @Override
        public void failed(SocketAddress peer, String presentedKey) {
            failed.add(String.valueOf(presentedKey));
        }

        @Override
        public void succeeded(String presentedKey) {
            succeeded.add(presentedKey);
        }
    }
}
