package dev.sluice.tenancy;

import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.KeySpec;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.plan.PlanStore;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.quota.FailPolicy;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every {@link TenancyStores} does, file-backed or shared; subclasses say how to open one. */
public abstract class TenancyStoresContract {
    public static final TenantId ACME = TenantId.of("acme");
    static final TenantId GLOBEX = TenantId.of("globex");
    /** Owners of keys in the key tests, which need no tenant record. */
    public static final TenantUid ACME_UID = TenantUid.legacy(ACME);
    static final TenantUid GLOBEX_UID = TenantUid.legacy(GLOBEX);
    public static final TenantLimits DEFAULTS = TenantLimits.of(10, 20, 16, 1_000, 1 << 20, 1_000_000);
    public static final TenantLimits GOLD = new TenantLimits(500, 1_000, 64, 900_000_000, 0, 6_000, 0, 1_024, 30_000,
            16 << 20, 50, 8 << 20, 500, 1 << 20, 64, Optional.of(FailPolicy.FAIL_OPEN));
    public static final TenantLimits SILVER = new TenantLimits(50, 100, 8, 100_000_000, 10_000_000, 600, 100_000, 256,
            10_000, 4 << 20, 10, 0, 1000, 0, 0, Optional.empty());

    public final FakeClock clock = FakeClock.atEpochDay();

    /** A store instance; calling it again must give another instance over the same state. */
    protected abstract TenancyStores open();

    @Test
    void planCrudRoundTripsAndListsByName() {
        PlanStore plans = open().plans();

        assertTrue(plans.put(new Plan("silver", SILVER)).created());
        assertTrue(plans.put(new Plan("gold", SILVER)).created());
        PlanStore.PutResult updated = plans.put(new Plan("gold", GOLD));

        assertFalse(updated.created());
        assertEquals(Optional.of(new Plan("gold", GOLD)), plans.find("gold"));
        assertEquals(List.of(new Plan("gold", GOLD), new Plan("silver", SILVER)), plans.list());
        assertEquals(plans.list(), open().plans().list(), "another instance sees the same plans");
        assertTrue(plans.delete("silver"));
        assertFalse(plans.delete("silver"));
        assertTrue(plans.find("silver").isEmpty());
        assertTrue(open().plans().find("silver").isEmpty());
    }

    @Test
    void effectiveLimitsAreThePlanWithTheTenantsOverridesOnTop() {
        TenancyStores stores = open();
        stores.plans().put(new Plan("gold", GOLD));
        LimitOverrides overrides = LimitOverrides.none().with(Limit.BURST, 7).with(Limit.MAX_FUNCTIONS, 0)
                .with(FailPolicy.FAIL_CLOSED);

        Tenant tenant = stores.tenants().put(ACME, Optional.of("gold"), overrides).tenant();

        TenantLimits effective = stores.plans().resolve(tenant, DEFAULTS);
        assertEquals(7, effective.burst());
        assertEquals(0, effective.maxFunctions(), "0: unlimited, overriding the plan's 50");
        assertEquals(Optional.of(FailPolicy.FAIL_CLOSED), effective.quotaFailPolicy());
        assertEquals(GOLD.requestsPerSecond(), effective.requestsPerSecond());
        assertEquals(GOLD.maxMemoryPages(), effective.maxMemoryPages());
        assertEquals(GOLD.invocationsPerMinute(), effective.invocationsPerMinute());
    }

    @Test
    void tenantOnNoPlanGetsTheDefaultsWithItsOverrides() {
        TenancyStores stores = open();
        Tenant tenant = stores.tenants().put(ACME, Optional.empty(),
                LimitOverrides.none().with(Limit.REQUESTS_PER_SECOND, 3)).tenant();

        TenantLimits effective = stores.plans().resolve(tenant, DEFAULTS);

        assertEquals(3, effective.requestsPerSecond());
        assertEquals(DEFAULTS.burst(), effective.burst());
        assertEquals(Optional.empty(), effective.quotaFailPolicy());
    }

    @Test
    void aPlanChangeReachesItsTenantsOnTheWriterAtOnce() {
        TenancyStores stores = open();
        stores.plans().put(new Plan("gold", GOLD));
        Tenant tenant = stores.tenants().put(ACME, Optional.of("gold"), LimitOverrides.none()).tenant();
        assertEquals(GOLD, stores.plans().resolve(tenant, DEFAULTS));

        stores.plans().put(new Plan("gold", SILVER));

        assertEquals(SILVER, stores.plans().resolve(stores.tenants().find(ACME).orElseThrow(), DEFAULTS));
    }

    @Test
    void tenantFieldsRoundTripAndCreatedAtIsKeptOnUpdate() {
        TenancyStores stores = open();
        stores.plans().put(new Plan("gold", GOLD));
        Instant created = clock.instant();
        TenantUid uid = stores.tenants().put(ACME, Optional.of("gold"), LimitOverrides.none()).tenant().uid();
        clock.advance(Duration.ofMinutes(5));
        LimitOverrides overrides = LimitOverrides.none().with(Limit.FUEL_PER_DAY, 12_345);

        TenantStore.PutResult result = stores.tenants().put(ACME, Optional.empty(), overrides);

        assertFalse(result.created());
        Tenant expected = new Tenant(ACME, uid, Optional.empty(), overrides, created, clock.instant());
        assertEquals(expected, result.tenant());
        assertEquals(Optional.of(expected), stores.tenants().find(ACME));
        assertEquals(Optional.of(expected), open().tenants().find(ACME));
        assertEquals(List.of(expected), open().tenants().list());
    }

    @Test
    void aTenantCannotJoinAPlanThatDoesNotExist() {
        TenancyStores stores = open();

        TenancyException.InvalidInput e = assertThrows(TenancyException.InvalidInput.class,
                () -> stores.tenants().put(ACME, Optional.of("platinum"), LimitOverrides.none()));

        assertTrue(e.getMessage().startsWith("plan: 'platinum'"), e.getMessage());
        assertTrue(stores.tenants().find(ACME).isEmpty());
    }

    @Test
    void deletingAPlanInUseIsRefusedNamingTheTenants() {
        TenancyStores stores = open();
        stores.plans().put(new Plan("gold", GOLD));
        stores.tenants().put(ACME, Optional.of("gold"), LimitOverrides.none());
        stores.tenants().put(GLOBEX, Optional.of("gold"), LimitOverrides.none());

        TenancyException.PlanInUse e = assertThrows(TenancyException.PlanInUse.class,
                () -> stores.plans().delete("gold"));

        assertTrue(e.getMessage().contains("'gold' is in use by 2 tenants (acme, globex)"), e.getMessage());
        assertEquals(List.of("acme", "globex"), e.tenants());
        assertTrue(stores.plans().find("gold").isPresent());

        stores.tenants().put(ACME, Optional.empty(), LimitOverrides.none());
        stores.tenants().delete(GLOBEX);
        assertTrue(stores.plans().delete("gold"), "free once no tenant is on it");
    }

    @Test
    void keyScopesAndFunctionRestrictionAreReturnedByVerify() {
        ApiKeys keys = open().keys();
        IssuedKey restricted = keys.issue(ACME_UID, KeySpec.named("ci deploy")
                .withScopes(EnumSet.of(Scope.DEPLOY, Scope.READ))
                .withFunctions(Set.of("resize", "thumbnail")));
        IssuedKey everything = keys.issue(ACME_UID, "admin", Optional.empty());

        KeyMetadata verified = keys.verify(restricted.secret()).orElseThrow();

        assertEquals(Set.of(Scope.DEPLOY, Scope.READ), verified.scopes());
        assertEquals(Optional.of(Set.of("resize", "thumbnail")), verified.functions());
        assertTrue(verified.allows(Scope.DEPLOY));
        assertFalse(verified.allows(Scope.INVOKE));
        assertTrue(verified.allowsFunction("resize"));
        assertFalse(verified.allowsFunction("billing"));
        KeyMetadata open = keys.verify(everything.secret()).orElseThrow();
        assertEquals(Scope.ALL, open.scopes());
        assertTrue(open.allowsFunction("anything"));
        assertEquals(verified.scopes(), this.open().keys().list(ACME_UID).getFirst().scopes(), "stored, not just held");
    }

    @Test
    void rotationKeepsTheOldKeyWorkingUntilTheOverlapEndsAndTheNewKeyWorksAtOnce() {
        ApiKeys keys = open().keys();
        IssuedKey old = keys.issue(ACME_UID, KeySpec.named("ci").withScopes(EnumSet.of(Scope.INVOKE))
                .withFunctions(Set.of("resize")));
        clock.advance(Duration.ofDays(1));

        ApiKeys.Rotation rotation = keys.rotate(ACME_UID, old.metadata().id(), Duration.ofHours(1), Optional.empty())
                .orElseThrow();

        IssuedKey replacement = rotation.replacement();
        assertEquals(Optional.of(clock.instant().plus(Duration.ofHours(1))), rotation.previous().expiresAt());
        assertEquals("ci", replacement.metadata().name());
        assertEquals(Set.of(Scope.INVOKE), replacement.metadata().scopes());
        assertEquals(Optional.of(Set.of("resize")), replacement.metadata().functions());
        assertTrue(keys.verify(replacement.secret()).isPresent());
        assertTrue(keys.verify(old.secret()).isPresent(), "old key still works during the overlap");
        assertEquals(List.of(old.metadata().id(), replacement.metadata().id()),
                keys.list(ACME_UID).stream().map(KeyMetadata::id).toList());

        clock.advance(Duration.ofMinutes(59));
        assertTrue(keys.verify(old.secret()).isPresent());
        clock.advance(Duration.ofMinutes(1));
        assertTrue(keys.verify(old.secret()).isEmpty(), "old key expires when the overlap ends");
        assertTrue(keys.verify(replacement.secret()).isPresent());
        assertTrue(open().keys().verify(old.secret()).isEmpty(), "the shortened expiry is stored");
    }

    @Test
    void rotationNeverExtendsAnExpiryAndRefusesUnknownOrForeignKeys() {
        ApiKeys keys = open().keys();
        Instant soon = clock.instant().plus(Duration.ofMinutes(10));
        IssuedKey old = keys.issue(ACME_UID, KeySpec.named("short").expiringAt(Optional.of(soon)));

        ApiKeys.Rotation rotation = keys.rotate(ACME_UID, old.metadata().id(), Duration.ofDays(7), Optional.empty())
                .orElseThrow();

        assertEquals(Optional.of(soon), rotation.previous().expiresAt());
        assertTrue(keys.rotate(GLOBEX_UID, old.metadata().id(), Duration.ZERO, Optional.empty()).isEmpty());
        assertTrue(keys.rotate(ACME_UID, "0000000000000000", Duration.ZERO, Optional.empty()).isEmpty());
        assertThrows(TenancyException.InvalidInput.class,
                () -> keys.rotate(ACME_UID, old.metadata().id(), Duration.ofSeconds(-1), Optional.empty()));
        clock.advance(Duration.ofMinutes(10));
        assertTrue(keys.rotate(ACME_UID, old.metadata().id(), Duration.ZERO, Optional.empty()).isEmpty(),
                "an expired key cannot be rotated");
    }

    @Test
    void rotationWithZeroOverlapStopsTheOldKeyAtOnce() {
        ApiKeys keys = open().keys();
        IssuedKey old = keys.issue(ACME_UID, "ci", Optional.empty());

        IssuedKey replacement = keys.rotate(ACME_UID, old.metadata().id(), Duration.ZERO, Optional.empty())
                .orElseThrow().replacement();

        assertTrue(keys.verify(old.secret()).isEmpty());
        assertTrue(keys.verify(replacement.secret()).isPresent());
    }

    @Test
    void lastUsedIsRecordedCoarselyAtMostOnceAMinute() {
        TenancyStores stores = open();
        ApiKeys keys = stores.keys();
        IssuedKey issued = keys.issue(ACME_UID, "ci", Optional.empty());
        Instant firstUse = clock.instant();

        assertEquals(Optional.empty(), keys.verify(issued.secret()).orElseThrow().lastUsedAt(),
                "verify returns the use recorded before it");
        clock.advance(Duration.ofSeconds(30));
        keys.verify(issued.secret());
        assertEquals(Optional.of(firstUse), awaitLastUsed(stores, Optional.of(firstUse)),
                "a use within the minute is not recorded");

        clock.advance(Duration.ofSeconds(30));
        Instant secondUse = clock.instant();
        keys.verify(issued.secret());
        assertEquals(Optional.of(secondUse), awaitLastUsed(stores, Optional.of(secondUse)));
    }

    @Test
    void aTenantCreatedAgainUnderItsNameIsAnotherTenantWithAnotherUid() {
        TenancyStores stores = open();
        Tenant first = stores.tenants().put(ACME, Optional.empty(), LimitOverrides.none()).tenant();
        Tenant updated = stores.tenants().put(ACME, Optional.empty(), LimitOverrides.none().with(Limit.BURST, 3))
                .tenant();
        Tenant other = stores.tenants().put(GLOBEX, Optional.empty(), LimitOverrides.none()).tenant();

        assertEquals(first.uid(), updated.uid(), "an update keeps the uid");
        assertEquals(ACME, first.uid().name());
        assertTrue(first.uid().value().matches("acme\\.[0-9a-f]{32}"), first.uid().value());
        assertFalse(first.uid().equals(other.uid()));
        assertEquals(Optional.of(updated), open().tenants().find(first.uid()), "stored, not just held");

        assertTrue(stores.tenants().delete(ACME));
        assertTrue(stores.tenants().find(first.uid()).isEmpty());
        Tenant again = stores.tenants().put(ACME, Optional.empty(), LimitOverrides.none()).tenant();

        assertFalse(again.uid().equals(first.uid()), "a new creation draws a new uid");
        assertTrue(stores.tenants().find(first.uid()).isEmpty(), "the old uid finds nothing, the name is taken anew");
        assertTrue(open().tenants().find(first.uid()).isEmpty());
        assertEquals(Optional.of(again), open().tenants().find(again.uid()));
        assertEquals(List.of(again.uid(), other.uid()), open().tenants().list().stream().map(Tenant::uid).toList());
    }

    @Test
    void keysOfADeletedTenantThatWereNeverRevokedBelongToNoTenantCreatedSince() {
        TenancyStores stores = open();
        Tenant first = stores.tenants().put(ACME, Optional.empty(), LimitOverrides.none()).tenant();
        IssuedKey stale = stores.keys().issue(first.uid(), "ci", Optional.empty());
        stores.tenants().delete(ACME); // as if the cascade failed before revoking the keys
        Tenant again = stores.tenants().put(ACME, Optional.empty(), LimitOverrides.none()).tenant();

        KeyMetadata verified = stores.keys().verify(stale.secret()).orElseThrow();

        assertEquals(first.uid(), verified.tenant());
        assertTrue(stores.tenants().find(verified.tenant()).isEmpty(), "resolves to no tenant");
        assertTrue(stores.keys().list(again.uid()).isEmpty(), "the new tenant lists none of the old keys");
        assertFalse(stores.keys().revoke(again.uid(), stale.metadata().id()), "nor can it revoke them");
        IssuedKey fresh = stores.keys().issue(again.uid(), "ci", Optional.empty());
        assertEquals(Optional.of(again), open().tenants().find(open().keys().verify(fresh.secret()).orElseThrow()
                .tenant()));
    }

    /** The last use as another reader sees it once the store has persisted it. */
    protected abstract Optional<Instant> awaitLastUsed(TenancyStores writer, Optional<Instant> expected);
}
