package dev.sluice.tenancy.managed;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenancyStores;
import dev.sluice.tenancy.TenancyStoresContract;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.IssuedKey;
import dev.sluice.tenancy.auth.KeyFormat;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.auth.KeySpec;
import dev.sluice.tenancy.auth.Scope;
import dev.sluice.tenancy.local.LocalTenancy;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.quota.FailPolicy;
import dev.sluice.tenancy.redis.RedisTenancy;
import dev.sluice.tenancy.redis.SharedRedis;
import dev.sluice.tenancy.testing.RedisServerExtension;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Declared plans, tenants and keys over the file and the Redis base stores alike: what is declared is visible and
 * verifies, cannot be edited here, wins over a stored object of the same name, and is replaced only by a set that
 * checks whole.
 */
class ManagedTenancyContractTest {
    static final TenantLimits GOLD = TenancyStoresContract.GOLD;
    static final TenantLimits SILVER = TenancyStoresContract.SILVER;
    static final TenantLimits DEFAULTS = TenancyStoresContract.DEFAULTS;
    static final Instant DECLARED_AT = Instant.parse("2024-12-01T00:00:00Z");

    /** A key as Terraform makes one: an 8-byte random_id in hex, and a secret with its sha256() in hex. */
    record TerraformKey(String id, String secret) {
        static TerraformKey random(SplittableRandom random) {
            byte[] id = new byte[8];
            byte[] secret = new byte[32];
            random.nextBytes(id);
            random.nextBytes(secret);
            return new TerraformKey(HexFormat.of().formatHex(id),
                    Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
        }

        /** What Terraform's {@code sha256(secret)} gives: the hex SHA-256 of the text's UTF-8 bytes. */
        String sha256Hex() {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(secret.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        }

        /** The shape a client builds from Terraform's outputs (no checksum: Terraform cannot make the CRC). */
        String presented() {
            return "sluice_sk_" + id + "_" + secret;
        }
    }

    abstract static class Contract {
        final FakeClock clock = FakeClock.atEpochDay();
        final SplittableRandom random = new SplittableRandom(10);
        final TerraformKey ciKey = TerraformKey.random(random);
        final TerraformKey opsKey = TerraformKey.random(random);
        final List<LogRecord> warnings = new CopyOnWriteArrayList<>();
        final Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        final Logger log = Logger.getLogger(ManagedTenancy.class.getName());

        /** Fresh base stores for this test (the same ones on every call). */
        abstract TenancyStores base();

        ManagedTenancy managed;

        @BeforeEach
        void openManaged() {
            log.addHandler(capture);
            managed = ManagedTenancy.over(base(), "vault", clock);
        }

        @AfterEach
        void closeManaged() {
            log.removeHandler(capture);
            managed.close();
        }

        static Declarations.DeclaredPlan plan(String name, TenantLimits limits) {
            return new Declarations.DeclaredPlan(new Plan(name, limits), "vault secret/sluice/plans/" + name);
        }

        static DeclaredTenant tenant(String name, String uidBits, Optional<String> plan) {
            TenantUid uid = TenantUid.of(name + "." + uidBits.repeat(32 / uidBits.length()));
            return new DeclaredTenant(new Tenant(TenantId.of(name), uid, plan,
                    LimitOverrides.none().with(Limit.BURST, 7), DECLARED_AT, DECLARED_AT),
                    "vault secret/sluice/tenants/" + name);
        }

        static DeclaredKey key(TerraformKey key, String tenant, KeySpec spec) {
            return new DeclaredKey(key.id(), TenantId.of(tenant), HexFormat.of().parseHex(key.sha256Hex()), spec,
                    DECLARED_AT, "vault secret/sluice/keys/" + tenant + "/" + key.id());
        }

        static KeySpec ciSpec() {
            return new KeySpec("ci", EnumSet.of(Scope.INVOKE, Scope.READ), Optional.of(Set.of("resize")),
                    Optional.of(Instant.parse("2025-01-02T00:00:00Z")));
        }

        /** A set Terraform could write: plan pro, tenant acme on it, tenant initech on the stored plan basic. */
        final Declarations typical = new Declarations(List.of(plan("pro", GOLD)),
                List.of(tenant("acme", "a1", Optional.of("pro")), tenant("initech", "b2", Optional.of("basic"))),
                List.of(key(ciKey, "acme", ciSpec()), key(opsKey, "initech", KeySpec.named("ops"))));

        void apply(Declarations next) {
            managed.prepare(next).run();
        }

        TenantUid acmeUid() {
            return tenant("acme", "a1", Optional.empty()).tenant().uid();
        }

        @Test
        void declaredPlansTenantsAndKeysAreVisibleBesideStoredOnes() {
            managed.plans().put(new Plan("basic", SILVER));
            Tenant stored = managed.tenants().put(TenantId.of("globex"), Optional.of("basic"), LimitOverrides.none())
                    .tenant();
            apply(typical);

            assertEquals(Optional.of(new Plan("pro", GOLD)), managed.plans().find("pro"));
            assertEquals(List.of("basic", "pro"), managed.plans().list().stream().map(Plan::name).toList());
            Tenant acme = managed.tenants().find(TenantId.of("acme")).orElseThrow();
            assertEquals(acmeUid(), acme.uid());
            assertEquals(Optional.of(acme), managed.tenants().find(acmeUid()));
            assertEquals(List.of("acme", "globex", "initech"),
                    managed.tenants().list().stream().map(t -> t.id().value()).toList());
            assertEquals(Optional.of(stored), managed.tenants().find(stored.uid()));

            assertEquals(GOLD.with(LimitOverrides.none().with(Limit.BURST, 7)), managed.plans().resolve(acme, DEFAULTS),
                    "a declared tenant on a declared plan");
            Tenant initech = managed.tenants().find(TenantId.of("initech")).orElseThrow();
            assertEquals(SILVER.with(LimitOverrides.none().with(Limit.BURST, 7)),
                    managed.plans().resolve(initech, DEFAULTS), "a declared tenant on a stored plan");
            assertEquals(SILVER, managed.plans().resolve(stored, DEFAULTS), "a stored tenant on a stored plan");

            assertEquals(List.of(ciKey.id()), managed.keys().list(acmeUid()).stream().map(KeyMetadata::id).toList());
            assertEquals(Optional.of("vault"), managed.planManager("pro"));
            assertEquals(Optional.of("vault"), managed.tenantManager(TenantId.of("acme")));
            assertEquals(Optional.of("vault"), managed.keyManager(ciKey.id()));
            assertEquals(Optional.empty(), managed.planManager("basic"));
            assertEquals(Optional.empty(), managed.tenantManager(TenantId.of("globex")));
            assertEquals(typical, managed.declared());
        }

        @Test
        void nothingDeclaredIsWrittenToTheBaseStores() {
            managed.plans().put(new Plan("basic", SILVER));
            apply(typical);

            assertEquals(List.of(new Plan("basic", SILVER)), base().plans().list());
            assertEquals(List.of(), base().tenants().list());
            assertEquals(List.of(), base().keys().list(acmeUid()));
            assertEquals(Optional.empty(), base().keys().verify(ciKey.presented()));
        }

        @Test
        void aDeclaredKeyVerifiesAsTheClientPresentsItFromTerraformsOutputs() {
            managed.plans().put(new Plan("basic", SILVER));
            apply(typical);

            KeyMetadata key = managed.keys().verify(ciKey.presented()).orElseThrow();

            assertEquals(new KeyMetadata(ciKey.id(), acmeUid(), "ci", DECLARED_AT,
                    Optional.of(Instant.parse("2025-01-02T00:00:00Z")), EnumSet.of(Scope.INVOKE, Scope.READ),
                    Optional.of(Set.of("resize")), Optional.empty()), key);
            assertTrue(managed.keys().verify(KeyFormat.format(ciKey.id(), ciKey.secret())).isPresent(),
                    "the same id and secret in the checksummed shape is the same key");
            assertTrue(managed.keys().verify("sk_" + ciKey.id() + "_" + ciKey.secret()).isPresent(),
                    "and in the legacy shape");
            assertTrue(managed.keys().verify(opsKey.presented()).isPresent());
        }

        @Test
        void aWrongSecretAnExpiredKeyAndAKeyNoLongerDeclaredAreRefused() {
            managed.plans().put(new Plan("basic", SILVER));
            apply(typical);
            TerraformKey wrong = new TerraformKey(ciKey.id(), opsKey.secret());

            assertEquals(Optional.empty(), managed.keys().verify(wrong.presented()));

            clock.advance(Duration.ofDays(1).minusNanos(1));
            assertTrue(managed.keys().verify(ciKey.presented()).isPresent(), "a nanosecond before its expiry");
            clock.advance(Duration.ofNanos(1));
            assertEquals(Optional.empty(), managed.keys().verify(ciKey.presented()), "at its expiry");

            assertTrue(managed.keys().verify(opsKey.presented()).isPresent());
            Declarations withoutOps = new Declarations(typical.plans(), typical.tenants(),
                    List.of(typical.keys().getFirst()));
            apply(withoutOps);
            assertEquals(Optional.empty(), managed.keys().verify(opsKey.presented()), "removed: refused at once");
            assertEquals(Optional.empty(), managed.keyManager(opsKey.id()));
        }

        @Test
        void aStoredKeyCarryingADeclaredIdNeverAnswersForIt() {
            managed.plans().put(new Plan("basic", SILVER));
            apply(typical);
            IssuedKey stored = managed.keys().issue(acmeUid(), KeySpec.named("admin-issued"));
            String storedId = stored.metadata().id();
            TerraformKey sameId = new TerraformKey(storedId, opsKey.secret());
            assertTrue(managed.keys().verify(stored.secret()).isPresent(), "verifies before the clash");

            Declarations clash = new Declarations(typical.plans(), typical.tenants(),
                    List.of(key(sameId, "acme", KeySpec.named("declared"))));
            apply(clash);

            assertEquals(Optional.empty(), managed.keys().verify(stored.secret()),
                    "the stored key's secret does not match the declared hash, and the base store is not asked");
            assertEquals("declared", managed.keys().verify(sameId.presented()).orElseThrow().name());
            assertEquals(List.of("declared"), managed.keys().list(acmeUid()).stream().map(KeyMetadata::name).toList(),
                    "the hidden stored key is not listed");
            assertEquals(1, warningsMentioning("key '" + storedId + "'"));
            managed.keys().list(acmeUid());
            assertEquals(1, warningsMentioning("key '" + storedId + "'"), "once per clash");
        }

        @Test
        void lastUseOfADeclaredKeyIsKeptInMemoryAtMostOnceAMinute() {
            managed.plans().put(new Plan("basic", SILVER));
            apply(typical);
            Instant first = clock.instant();

            assertEquals(Optional.empty(), managed.keys().verify(ciKey.presented()).orElseThrow().lastUsedAt());
            clock.advance(Duration.ofSeconds(30));
            assertEquals(Optional.of(first), managed.keys().verify(ciKey.presented()).orElseThrow().lastUsedAt());
            assertEquals(Optional.of(first), managed.keys().list(acmeUid()).getFirst().lastUsedAt(),
                    "recorded at most once a minute");
            clock.advance(Duration.ofSeconds(30));
            managed.keys().verify(ciKey.presented());
            assertEquals(Optional.of(clock.instant()), managed.keys().list(acmeUid()).getFirst().lastUsedAt());
            managed.flush();
            assertEquals(List.of(), base().keys().list(acmeUid()), "never written to the base store");
        }

        @Test
        void editsOfDeclaredObjectsAreRefusedAsManagedByVaultNamingWhereToChangeThem() {
            managed.plans().put(new Plan("basic", SILVER));
            apply(typical);

            assertManaged("plan 'pro' is managed by vault (vault secret/sluice/plans/pro); change it there",
                    () -> managed.plans().put(new Plan("pro", SILVER)));
            assertManaged("plan 'pro'", () -> managed.plans().delete("pro"));
            assertManaged("tenant 'acme' is managed by vault (vault secret/sluice/tenants/acme); change it there",
                    () -> managed.tenants().put(TenantId.of("acme"), Optional.empty(), LimitOverrides.none()));
            assertManaged("tenant 'acme'", () -> managed.tenants().delete(TenantId.of("acme")));
            assertManaged("key " + ciKey.id() + " is managed by vault (vault secret/sluice/keys/acme/" + ciKey.id()
                    + "); change it there", () -> managed.keys().revoke(acmeUid(), ciKey.id()));
            assertManaged("key " + ciKey.id(),
                    () -> managed.keys().rotate(acmeUid(), ciKey.id(), Duration.ZERO, Optional.empty()));

            assertEquals(Optional.of(new Plan("pro", GOLD)), managed.plans().find("pro"), "unchanged");
            assertTrue(managed.keys().verify(ciKey.presented()).isPresent(), "unchanged");
            TenantUid initech = managed.tenants().find(TenantId.of("initech")).orElseThrow().uid();
            assertFalse(managed.keys().revoke(initech, ciKey.id()), "another tenant's declared key: no such key");
        }

        @Test
        void aPlanCreatedThroughTheAdminApiUnderADeclaredNameIsRefused() {
            apply(new Declarations(List.of(plan("pro", GOLD)), List.of(), List.of()));

            assertManaged("plan 'pro' is managed by vault", () -> managed.plans().put(new Plan("pro", GOLD)));
            assertEquals(List.of(), base().plans().list());
        }

        @Test
        void storedObjectsStayEditableAndKeysIssuedForADeclaredTenantLiveInTheBaseStore() {
            managed.plans().put(new Plan("basic", SILVER));
            apply(typical);

            assertFalse(managed.plans().put(new Plan("basic", GOLD)).created());
            assertEquals(Optional.of(new Plan("basic", GOLD)), managed.plans().find("basic"));
            Tenant globex = managed.tenants().put(TenantId.of("globex"), Optional.of("basic"), LimitOverrides.none())
                    .tenant();
            IssuedKey issued = managed.keys().issue(globex.uid(), KeySpec.named("k"));
            assertTrue(managed.keys().verify(issued.secret()).isPresent());
            IssuedKey rotated = managed.keys().rotate(globex.uid(), issued.metadata().id(), Duration.ZERO,
                    Optional.empty()).orElseThrow().replacement();
            managed.keys().revokeAll(globex.uid());
            assertEquals(Optional.empty(), managed.keys().verify(rotated.secret()));
            assertTrue(managed.tenants().delete(TenantId.of("globex")));

            IssuedKey forAcme = managed.keys().issue(acmeUid(), KeySpec.named("support"));
            assertEquals(List.of("ci", "support"),
                    managed.keys().list(acmeUid()).stream().map(KeyMetadata::name).toList(), "oldest first");
            assertEquals(List.of(forAcme.metadata().id()),
                    base().keys().list(acmeUid()).stream().map(KeyMetadata::id).toList());
            assertEquals(Optional.empty(), managed.keyManager(forAcme.metadata().id()));

            assertTrue(managed.keys().revoke(acmeUid(), forAcme.metadata().id()), "a stored key of a declared tenant");
            assertEquals(Optional.empty(), managed.keys().verify(forAcme.secret()));
        }

        @Test
        void revokingEveryKeyOfADeclaredTenantIsRefusedSoItsDeletionCannotHalfHappen() {
            managed.plans().put(new Plan("basic", SILVER));
            apply(typical);
            IssuedKey support = managed.keys().issue(acmeUid(), KeySpec.named("support"));

            assertManaged("tenant 'acme' is managed by vault (vault secret/sluice/tenants/acme)",
                    () -> managed.keys().revokeAll(acmeUid()));

            assertTrue(managed.keys().verify(support.secret()).isPresent());
            assertTrue(managed.keys().verify(ciKey.presented()).isPresent());
            apply(Declarations.NONE);
            managed.keys().revokeAll(acmeUid());
            assertEquals(Optional.empty(), managed.keys().verify(support.secret()),
                    "no longer declared: only stored keys, and they go");
        }

        @Test
        void aStoredPlanDeclaredTenantsAreOnCannotBeDeletedAndTheRefusalNamesThem() {
            managed.plans().put(new Plan("basic", SILVER));
            managed.tenants().put(TenantId.of("globex"), Optional.of("basic"), LimitOverrides.none());
            apply(typical);

            TenancyException.PlanInUse refused = assertThrows(TenancyException.PlanInUse.class,
                    () -> managed.plans().delete("basic"));

            assertEquals(List.of("globex", "initech"), refused.tenants());
            assertTrue(managed.plans().find("basic").isPresent());
            managed.plans().put(new Plan("spare", SILVER));
            assertTrue(managed.plans().delete("spare"), "a stored plan nobody is on goes");
        }

        @Test
        void aTenantCreatedHereCannotJoinAPlanThatIsOnlyDeclared() {
            apply(new Declarations(List.of(plan("pro", GOLD)), List.of(), List.of()));

            TenancyException.InvalidInput refused = assertThrows(TenancyException.InvalidInput.class,
                    () -> managed.tenants().put(TenantId.of("globex"), Optional.of("pro"), LimitOverrides.none()));

            assertTrue(refused.getMessage().startsWith("plan: 'pro' (expected: a plan stored here;"),
                    refused.getMessage());
            assertTrue(refused.getMessage().contains("vault secret/sluice/plans/pro"), refused.getMessage());
            assertEquals(List.of(), managed.tenants().list());
        }

        @Test
        void anInvalidSetIsRefusedWholeNamingSourceAndFieldAndThePreviousStaysInForce() {
            managed.plans().put(new Plan("basic", SILVER));
            apply(typical);
            Declarations good = typical;
            TerraformKey fresh = TerraformKey.random(random);
            DeclaredKey freshKey = key(fresh, "acme", KeySpec.named("fresh"));

            assertRefused("vault secret/sluice/plans/pro: plan: 'pro' (expected: declared once; also declared at",
                    new Declarations(List.of(plan("pro", GOLD), plan("pro", SILVER)), good.tenants(), good.keys()));
            assertRefused("vault secret/sluice/tenants/acme: tenant: 'acme' (expected: declared once;",
                    new Declarations(good.plans(), List.of(tenant("acme", "a1", Optional.empty()),
                            tenant("acme", "c3", Optional.empty())), List.of()));
            assertRefused("vault secret/sluice/keys/initech/" + ciKey.id() + ": key id: '" + ciKey.id()
                            + "' (expected: declared once;",
                    new Declarations(good.plans(), good.tenants(), List.of(freshKey, good.keys().getFirst(),
                            key(ciKey, "initech", KeySpec.named("again")))));
            assertRefused("vault secret/sluice/tenants/hooli: plan: 'enterprise' (expected: a plan declared or stored;",
                    new Declarations(good.plans(), List.of(tenant("hooli", "d4", Optional.of("enterprise"))),
                            List.of()));
            assertRefused("vault secret/sluice/keys/hooli/" + fresh.id() + ": tenant: 'hooli' (expected: a declared"
                            + " tenant;",
                    new Declarations(good.plans(), good.tenants(), List.of(key(fresh, "hooli", KeySpec.named("x")))));

            assertEquals(good, managed.declared());
            assertEquals(Optional.empty(), managed.keys().verify(fresh.presented()), "nothing of a refused set");
            assertTrue(managed.keys().verify(ciKey.presented()).isPresent());
            assertTrue(managed.tenants().find(TenantId.of("hooli")).isEmpty());
        }

        @Test
        void aPreparedSetChangesNothingUntilItsActionRuns() {
            managed.plans().put(new Plan("basic", SILVER));
            Runnable apply = managed.prepare(typical);

            assertEquals(Declarations.NONE, managed.declared());
            assertEquals(Optional.empty(), managed.keys().verify(ciKey.presented()));
            apply.run();
            assertTrue(managed.keys().verify(ciKey.presented()).isPresent());
        }

        @Test
        void aDeclaredNameHidesTheStoredObjectUntilTheDeclarationGoesAndTheClashIsLoggedOnce() {
            managed.plans().put(new Plan("pro", SILVER));
            Tenant stored = managed.tenants().put(TenantId.of("acme"), Optional.of("pro"), LimitOverrides.none())
                    .tenant();
            IssuedKey storedKey = managed.keys().issue(stored.uid(), KeySpec.named("stored"));
            Declarations declared = new Declarations(List.of(plan("pro", GOLD)),
                    List.of(tenant("acme", "a1", Optional.of("pro"))), List.of());

            apply(declared);

            assertEquals(Optional.of(new Plan("pro", GOLD)), managed.plans().find("pro"));
            assertEquals(List.of(new Plan("pro", GOLD)), managed.plans().list());
            assertEquals(acmeUid(), managed.tenants().find(TenantId.of("acme")).orElseThrow().uid());
            assertEquals(List.of(acmeUid()), managed.tenants().list().stream().map(Tenant::uid).toList());
            assertEquals(Optional.empty(), managed.tenants().find(stored.uid()),
                    "one name is one tenant: the hidden one's keys do not resolve to a tenant");
            assertEquals(stored.uid(), managed.keys().verify(storedKey.secret()).orElseThrow().tenant());
            assertEquals(1, warningsMentioning("plan 'pro' is declared in vault"));
            assertEquals(1, warningsMentioning("tenant 'acme' is declared in vault"));
            managed.plans().list();
            managed.tenants().list();
            apply(declared);
            assertEquals(1, warningsMentioning("plan 'pro'"), "once per clash");
            assertEquals(1, warningsMentioning("tenant 'acme'"));

            apply(Declarations.NONE);

            assertEquals(Optional.of(new Plan("pro", SILVER)), managed.plans().find("pro"));
            assertEquals(Optional.of(stored), managed.tenants().find(stored.uid()), "the stored one is back");
            apply(declared);
            assertEquals(2, warningsMentioning("plan 'pro'"), "a clash that comes back is reported again");
        }

        @Test
        void aTenantRemovedAndDeclaredAgainWithTheSameUidFindsWhatIsKeptUnderIt() {
            managed.plans().put(new Plan("basic", SILVER));
            apply(typical);
            IssuedKey support = managed.keys().issue(acmeUid(), KeySpec.named("support"));
            Declarations withoutAcme = new Declarations(typical.plans(), List.of(typical.tenants().get(1)),
                    List.of(typical.keys().get(1)));

            apply(withoutAcme);

            assertEquals(Optional.empty(), managed.keys().verify(ciKey.presented()), "its declared key: at once");
            assertEquals(Optional.empty(), managed.tenants().find(acmeUid()),
                    "its stored key names a uid no tenant has: the gateway refuses it");
            assertEquals(acmeUid(), managed.keys().verify(support.secret()).orElseThrow().tenant());

            apply(typical);

            assertTrue(managed.tenants().find(acmeUid()).isPresent(), "the same uid again");
            assertEquals(List.of("ci", "support"),
                    managed.keys().list(acmeUid()).stream().map(KeyMetadata::name).toList());
            assertTrue(managed.keys().verify(ciKey.presented()).isPresent());
        }

        @Test
        void verifyOnManyThreadsWhileSetsSwapAnswersFromOneWholeSet() throws Exception {
            managed.plans().put(new Plan("basic", SILVER));
            // Two sets that agree on the key id but not on its tenant's uid or its name: an answer mixing them is torn.
            List<Declarations> sets = new ArrayList<>();
            for (String bits : List.of("a1", "b2")) {
                sets.add(new Declarations(List.of(),
                        List.of(tenant("acme", bits, Optional.of("basic"))),
                        List.of(key(ciKey, "acme", KeySpec.named(bits)))));
            }
            TenantUid firstUid = sets.get(0).tenants().getFirst().tenant().uid();
            apply(sets.get(0));
            AtomicBoolean swapping = new AtomicBoolean(true);
            AtomicLong checks = new AtomicLong();
            List<String> failures = new CopyOnWriteArrayList<>();
            ExecutorService readers = Executors.newFixedThreadPool(4);
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                running.add(readers.submit(() -> {
                    while (swapping.get() || checks.get() < 1_000) {
                        Optional<KeyMetadata> key = managed.keys().verify(ciKey.presented());
                        if (key.isEmpty()) {
                            failures.add("a key declared in every set was refused");
                        } else if (!key.get().tenant().value().endsWith(key.get().name().repeat(16))) {
                            failures.add("torn: " + key.get().name() + " of " + key.get().tenant());
                        }
                        List<KeyMetadata> listed = managed.keys().list(firstUid);
                        if (!listed.isEmpty() && !listed.getFirst().name().equals("a1")) {
                            failures.add("torn list: " + listed);
                        }
                        checks.incrementAndGet();
                    }
                }));
            }
            try {
                for (int i = 0; i < 2_000; i++) {
                    apply(sets.get(i % 2));
                }
            } finally {
                swapping.set(false);
            }
            for (Future<?> reader : running) {
                reader.get(2, TimeUnit.MINUTES);
            }
            readers.shutdown();
            assertEquals(List.of(), failures.stream().distinct().limit(5).toList());
            assertTrue(checks.get() >= 1_000, "checks: " + checks.get());
        }

        int warningsMentioning(String text) {
            return (int) warnings.stream().filter(r -> r.getMessage().contains(text)).count();
        }

        void assertRefused(String messageStart, Declarations next) {
            TenancyException.InvalidInput refused = assertThrows(TenancyException.InvalidInput.class,
                    () -> managed.prepare(next));
            assertTrue(refused.getMessage().startsWith(messageStart), refused.getMessage());
        }

        static void assertManaged(String messageStart, Executable edit) {
            TenancyException.Managed refused = assertThrows(TenancyException.Managed.class, edit);
            assertEquals("vault", refused.manager());
            assertTrue(refused.getMessage().startsWith(messageStart), refused.getMessage());
        }
    }

    @Nested
    class Local extends Contract {
        @TempDir
        Path dir;
        LocalTenancy base;

        @Override
        TenancyStores base() {
            if (base == null) {
                base = LocalTenancy.open(dir, clock);
            }
            return base;
        }

        @Test
        void flushWritesTheStoredKeysLastUseThroughToTheBaseStore() {
            IssuedKey stored = managed.keys().issue(TenantUid.of("globex"), KeySpec.named("k"));
            managed.keys().verify(stored.secret());

            managed.flush();

            assertEquals(Optional.of(clock.instant()),
                    LocalTenancy.open(dir, clock).keys().list(TenantUid.of("globex")).getFirst().lastUsedAt());
        }
    }

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Nested
    class Redis extends Contract {
        final SharedRedis redis = new SharedRedis(REDIS.server());
        RedisTenancy base;

        @Override
        TenancyStores base() {
            if (base == null) {
                base = RedisTenancy.open(redis.settings(FailPolicy.FAIL_CLOSED, 1), clock,
                        Duration.ofMillis(RedisTenancy.DEFAULT_CACHE_TTL_MS), clock);
            }
            return base;
        }

        @AfterEach
        void closeRedis() throws Exception {
            redis.close();
        }

        @Test
        void aSetIsTakenWhileRedisIsAwayAndItsDeclaredKeysAuthenticateWithoutIt() {
            managed.plans().put(new Plan("basic", SILVER));
            REDIS.server().stop();
            try {
                Declarations next = new Declarations(List.of(),
                        List.of(tenant("initech", "b2", Optional.of("gold"))),
                        List.of(key(opsKey, "initech", KeySpec.named("ops"))));

                managed.prepare(next).run();

                assertEquals(next, managed.declared(), "not refused: whether plan gold exists could not be asked");
                assertEquals(1, warningsMentioning("plan 'gold'"));
                KeyMetadata ops = managed.keys().verify(opsKey.presented()).orElseThrow();
                assertTrue(managed.tenants().find(ops.tenant()).isPresent(), "and its tenant resolves");
            } finally {
                REDIS.server().startServer();
            }
        }
    }
}
